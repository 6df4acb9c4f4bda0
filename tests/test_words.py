"""French wording, table-driven: elision before school names, counts in words, numbers, spacing, ordinals."""

from __future__ import annotations

import pytest

from watcher.french.words import NNBSP, count, number, of, ordinal, points, spaced


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("IMT Mines Alès", "d'IMT Mines Alès"),
        ("ESPCI Paris - PSL", "de l'ESPCI Paris - PSL"),
        ("CNAM", "du CNAM"),
        ("École polytechnique", "de l'École polytechnique"),
        ("INSA Lyon", "de l'INSA Lyon"),
        ("Arts et Métiers", "d'Arts et Métiers"),
        ("Centrale Lyon", "de Centrale Lyon"),
        ("Mines Saint-Étienne", "de Mines Saint-Étienne"),
        ("HEC Paris", "de HEC Paris"),  # an aspirated h is not elided
        ("ISAE-Supaero", "de l'ISAE-Supaero"),
        ("EPITA", "de l'EPITA"),
        ("ESILV", "de l'ESILV"),
        ("UTT - Université de technologie de Troyes", "de l'UTT - Université de technologie de Troyes"),
        ("Télécom Paris", "de Télécom Paris"),
        ("IMT Atlantique", "d'IMT Atlantique"),
        ("CESI École d'ingénieurs", "du CESI École d'ingénieurs"),
    ],
)
def test_de_before_a_school_name_is_elided_or_contracted(name: str, said: str) -> None:
    assert of(name) == said


@pytest.mark.parametrize(
    ("n", "said"), [(1, "une place"), (-1, "une place"), (6, "six places"), (9, "neuf places"), (12, "12 places")]
)
def test_counts_are_written_as_the_press_writes_them(n: int, said: str) -> None:
    assert count(n, "place") == said


@pytest.mark.parametrize(
    ("value", "digits", "said"),
    [(12.5, 1, "12,5"), (45.0, 1, "45"), (41000, 0, f"41{NNBSP}000"), (-1.6, 1, "−1,6"), (None, 1, "non publié")],
)
def test_numbers_in_french(value: float | None, digits: int, said: str) -> None:
    assert number(value, digits) == said


@pytest.mark.parametrize(
    ("value", "digits", "signed", "said"),
    [
        (93.0, 1, False, "93,0"),
        (91.5, 1, False, "91,5"),
        (93.0, 0, False, "93"),
        (1234.5, 1, False, f"1{NNBSP}234,5"),
        (10.0, 1, True, "+10,0"),
        (-1.6, 1, True, "−1,6"),
        (0.0, 1, True, "="),
        (0.04, 1, True, "="),  # a change too small for the list's precision is no change
        (-3.0, 0, False, "−3"),
        (None, 1, False, "non publié"),
    ],
)
def test_points_have_one_format_per_list(value: float | None, digits: int, signed: bool, said: str) -> None:
    assert points(value, digits, signed=signed) == said


def test_spaces_before_high_punctuation_never_break() -> None:
    assert spaced("15,5 % : top ; vraiment ? oui !") == f"15,5{NNBSP}%{NNBSP}: top{NNBSP}; vraiment{NNBSP}? oui{NNBSP}!"
    assert spaced("https://x/?page=2") == "https://x/?page=2"


@pytest.mark.parametrize(("rank", "tied", "said"), [(1, False, "1re"), (27, False, "27e"), (4, True, "4e ex aequo")])
def test_ordinals_agree_with_une_ecole(rank: int, tied: bool, said: str) -> None:
    assert ordinal(rank, tied) == said
