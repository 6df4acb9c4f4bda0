"""render_alert() and its French formatting helpers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.config import SchoolConfig
from watcher.french.render import number, ordinal, paris_time, places, render_alert
from watcher.model import Alert, Row
from watcher.news.diff import diff
from watcher.news.figures import figure, peer_move
from watcher.news.rules import alerts_for

from .conftest import NNBSP, fixture_snapshot, plain

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
URL = (
    "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/"
    "palmares-general-des-ecoles-d-ingenieurs/home.html"
)
RANKING = "Palmarès général des écoles d'ingénieurs"
FETCHED = datetime(2021, 12, 15, 6, 2, tzinfo=UTC)  # 07:02 in Paris (winter time, UTC+1)
SENDER = "watcher@example.org"
TO = ("communication@example.org", "direction@example.org")


@pytest.fixture(scope="module")
def alert() -> Alert:
    old, new = (fixture_snapshot(y, url=URL, fetched_at=FETCHED) for y in (2020, 2021))
    (only,) = alerts_for(old, new, diff(old, new), SchoolConfig(name="IMT Mines Alès"))
    return only


def as_sent(alert: Alert):
    # Hand-made alerts (and alerts with a row replaced) get their figures computed as the rules compute them.
    return render_alert(figure(alert), sender=SENDER, recipients=TO)


def render(alert: Alert):
    """The email with plain spaces for narrow no-break ones (the typography has its own tests, on `as_sent`)."""
    return plain(as_sent(alert))


def parts(alert: Alert) -> tuple[str, str]:
    message = render(alert)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def moved(old_rank: int, new_rank: int, *, old_tied: bool = False, new_tied: bool = False) -> Alert:
    """A small hand-made alert: 100 schools, no groups."""
    old = Row(old_rank, "IMT Mines Alès", slug="imt-mines-ales", tied=old_tied, total=40.0)
    new = Row(new_rank, "IMT Mines Alès", slug="imt-mines-ales", tied=new_tied, total=41.5)
    return Alert(
        kind="moved",
        ranking=RANKING,
        url=URL,
        school="IMT Mines Alès",
        old_edition=2020,
        new_edition=2021,
        old_row=old,
        new_row=new,
        old_count=100,
        new_count=100,
        new_group_place=None,
        fetched_at=FETCHED,
        message_key="0123456789abcdef0123456789abcdef",
    )


# --- The 2020 → 2021 fixture alert ---------------------------------------------------------------


def test_subject(alert):
    assert render(alert)["Subject"] == (
        "IMT Mines Alès : 27e (+6 places) au Palmarès général des écoles d'ingénieurs 2021"
    )


def test_headers(alert):
    message = render(alert)
    assert message["From"] == SENDER
    assert message["To"] == "communication@example.org, direction@example.org"
    assert message["Date"] == "Wed, 15 Dec 2021 06:02:00 +0000"
    assert message["X-Watcher-Ranking"] == RANKING
    assert message.is_multipart()
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    "expected",
    [
        "IMT Mines Alès est classée 27e au Palmarès général des écoles d'ingénieurs 2021 et gagne 6 places",
        "33e en 2020, 27e en 2021",
        "33 − 27 = 6",
        "168 écoles classées (167 dans l'édition 2020)",
        "Note totale : 43,5 points (édition 2020 : 41,8 points)",
        "Groupe A : 16e sur 34 écoles du groupe, première moitié du groupe A",
        "26 écoles classées devant elle sur 168 : dans les 17 % premières écoles",
        "Excellence académique : 13,5 → 13,7 (+0,2)",
        "Proximité avec les entreprises : 13,6 → 11,5 (−2,1)",
        "Total : 41,8 → 43,5 (+1,7)",
        "relevé le 15 décembre 2021 à 07:02 (heure de Paris)",
        URL,
    ],
)
def test_text_part(alert, expected):
    text, _ = parts(alert)
    assert expected in text


def test_text_part_has_no_html_entities(alert):
    text, _ = parts(alert)
    assert "&#39;" not in text and "&amp;" not in text
    assert "d'ingénieurs" in text


def test_html_part_carries_the_same_figures(alert):
    _, html = parts(alert)
    for expected in ("gagne 6 places", "168 écoles", "première moitié du groupe A", "17 % premières", "07:02"):
        assert expected in html
    assert "d&#39;ingénieurs" in html  # the apostrophe of the ranking name, escaped
    assert f'<a href="{URL}">' in html


def test_message_id_is_stable_across_renders(alert):
    first, second = render(alert), render(alert)
    assert first["Message-ID"] == second["Message-ID"] == f"<{alert.message_key}@example.org>"


def test_message_id_changes_with_the_alert(alert):
    other = replace(alert, message_key="f" * 32)
    assert render(other)["Message-ID"] == "<ffffffffffffffffffffffffffffffff@example.org>"
    assert render(other)["Message-ID"] != render(alert)["Message-ID"]


def test_html_escapes_scraped_text(alert):
    script = "<script>alert(1)</script>"
    label = '<img src=x onerror="alert(2)">'
    new_row = replace(alert.new_row, name=script, scores=((label, 12.0), *alert.new_row.scores[1:]))
    hostile = replace(alert, school=script, new_row=new_row)
    text, html = parts(hostile)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert script in text  # plain text is not HTML: shown as read
    assert render(hostile)["Subject"].startswith(script)


# --- Other kinds of alert ------------------------------------------------------------------------


def test_lost_places_say_perd():
    message = render(moved(33, 40))
    text, _ = parts(moved(33, 40))
    assert message["Subject"].startswith("IMT Mines Alès : 40e (−7 places) au ")
    assert "perd 7 places : 33e en 2020, 40e en 2021" in text
    assert "gagne" not in text


def test_one_place_is_singular():
    text, _ = parts(moved(5, 4))
    assert "gagne 1 place :" in text
    assert render(moved(5, 4))["Subject"].startswith("IMT Mines Alès : 4e (+1 place) au ")


def test_ex_aequo_is_mentioned_when_tied():
    alert = moved(33, 26, old_tied=True, new_tied=True)
    text, html = parts(alert)
    assert render(alert)["Subject"] == (
        "IMT Mines Alès : 26e ex aequo (+7 places) au Palmarès général des écoles d'ingénieurs 2021"
    )
    assert "33e ex aequo en 2020, 26e ex aequo en 2021" in text
    assert "26e ex aequo" in html


def test_becoming_ex_aequo_at_the_same_rank():
    text, _ = parts(moved(12, 12, new_tied=True))
    assert "reste 12e, désormais ex aequo (12e en 2020)" in text


def test_leaving_a_tie_at_the_same_rank():
    text, _ = parts(moved(12, 12, old_tied=True))
    assert "reste 12e, n'est plus ex aequo (12e ex aequo en 2020)" in text


def test_stable_new_edition():
    alert = replace(moved(27, 27), kind="stable", old_edition=2021, new_edition=2022)
    text, _ = parts(alert)
    assert render(alert)["Subject"] == (
        "IMT Mines Alès : 27e (même rang) au Palmarès général des écoles d'ingénieurs 2022"
    )
    assert "garde son rang : 27e en 2021 comme en 2022" in text


def test_every_point_figure_has_the_lists_one_format():
    """Integer totals beside a list where some score has a decimal: every figure with one decimal."""
    old = Row(30, "IMT Mines Alès", total=83.0, scores=(("Excellence", 20.0),), total_max=119)
    new = Row(25, "IMT Mines Alès", total=93.0, scores=(("Excellence", 21.5),), total_max=119)
    text, html = parts(replace(moved(30, 25), old_row=old, new_row=new))
    assert "Note totale : 93,0 points sur 119 (édition 2020 : 83,0 points sur 119)" in text
    assert "Total (sur 119) : 83,0 → 93,0 (+10,0)" in text
    assert "Excellence : 20,0 → 21,5 (+1,5)" in text
    assert "93,0" in html and "21,5" in html
    whole = replace(new, scores=(("Excellence", 21.0),))
    text, _ = parts(replace(moved(30, 25), old_row=old, new_row=whole))
    assert "Note totale : 93 points sur 119 (édition 2020 : 83 points sur 119)" in text
    assert "Excellence : 20 → 21 (+1)" in text


def test_entered():
    alert = replace(moved(1, 12), kind="entered", old_row=None)
    text, _ = parts(alert)
    assert render(alert)["Subject"] == "IMT Mines Alès entre au Palmarès général des écoles d'ingénieurs 2021 : 12e"
    assert "elle n'était pas dans la liste de l'édition 2020" in text
    assert "Note totale : 41,5 points\n" in text


def test_left():
    alert = replace(moved(1, 12), kind="left", new_row=None)
    text, _ = parts(alert)
    assert render(alert)["Subject"] == "IMT Mines Alès ne figure plus au Palmarès général des écoles d'ingénieurs 2021"
    assert "lu en entier (100 écoles) ; elle était 1re dans l'édition 2020" in text
    assert "Note totale" not in text


def test_first_place_share():
    text, _ = parts(moved(2, 1))
    assert "Aucune école devant elle sur 100 classées" in text


# --- Helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "tied", "text"),
    [(1, False, "1re"), (2, False, "2e"), (27, False, "27e"), (16, True, "16e ex aequo"), (1, True, "1re ex aequo")],
)
def test_ordinal(rank, tied, text):
    assert ordinal(rank, tied) == text


def test_ordinal_default_is_not_tied():
    assert ordinal(1) == "1re"


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.5, "12,5"), (45.0, "45"), (0.0, "0"), (100.0, "100"), (-2.1, "−2,1"), (7.04, "7"), (None, "non publié")],
)
def test_number(value, text):
    assert number(value) == text


def test_number_digits():
    assert number(12.345, digits=2) == "12,35"
    assert number(12.5, digits=0) == "12"


@pytest.mark.parametrize(("n", "text"), [(1, "1 place"), (-1, "1 place"), (6, "6 places"), (-7, "7 places")])
def test_places(n, text):
    assert places(n) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2020, 12, 17, 6, 2, tzinfo=UTC), "17 décembre 2020 à 07:02 (heure de Paris)"),
        (datetime(2021, 7, 14, 10, 0, tzinfo=UTC), "14 juillet 2021 à 12:00 (heure de Paris)"),
        (datetime(2021, 6, 30, 22, 5, tzinfo=UTC), "1er juillet 2021 à 00:05 (heure de Paris)"),
        (datetime(2021, 3, 28, 0, 59, tzinfo=UTC), "28 mars 2021 à 01:59 (heure de Paris)"),
        (datetime(2021, 3, 28, 1, 0, tzinfo=UTC), "28 mars 2021 à 03:00 (heure de Paris)"),
    ],
)
def test_paris_time(moment, text):
    assert paris_time(moment) == text


def test_becoming_ex_aequo_says_it_once_in_the_subject():
    subject = render(moved(12, 12, new_tied=True))["Subject"]
    assert subject.startswith("IMT Mines Alès : 12e ex aequo (même rang) au ")
    assert subject.count("ex aequo") == 1


def test_a_loss_is_counted_without_a_negative_number():
    text, _ = parts(moved(33, 40))
    assert "40 − 33 = 7" in text and "= −7" not in text


def test_a_revision_of_the_same_edition_is_told_as_before_and_after():
    revised = replace(moved(28, 27), old_edition=2021)
    text, _ = parts(revised)
    assert render(revised)["Subject"] == (
        "IMT Mines Alès : 27e (+1 place) au Palmarès général des écoles d'ingénieurs 2021 (liste révisée)"
    )
    assert "gagne 1 place : 28e avant la révision, 27e dans la liste révisée" in text
    assert "en 2021, 27e en 2021" not in text
    assert "IMT Mines Alès gagne une place dans la liste révisée du" in text


def test_a_revision_adding_or_dropping_the_school_is_one_edition_corrected_not_two():
    added = replace(moved(28, 27), kind="entered", old_row=None, old_edition=2021)
    text, _ = parts(added)
    assert render(added)["Subject"].endswith("2021 : 27e (liste révisée)")
    assert "elle n'était pas dans la liste avant sa révision" in text
    assert "fait son entrée dans la liste révisée du" in text
    dropped = replace(moved(28, 27), kind="left", new_row=None, old_edition=2021)
    text, _ = parts(dropped)
    assert render(dropped)["Subject"].endswith(
        "ne figure plus au Palmarès général des écoles d'ingénieurs 2021 (liste révisée)"
    )
    assert "elle était 28e avant sa révision" in text
    assert "Elle y était 28e avant la révision." in text
    for said in (text, render(added).get_body(("plain",)).get_content()):
        assert "édition 2021" not in said.split("Source")[0].replace("édition 2021 :", "")


def test_top_share_is_only_stated_for_the_first_half():
    text, _ = parts(moved(80, 70))
    assert "69 écoles classées devant elle sur 100\n" in text
    assert "70 % premières" not in text and "%" not in text.split("devant elle")[1].split("\n")[0]


def test_a_missing_total_is_said_so():
    alert = moved(33, 27)
    text, _ = parts(replace(alert, new_row=replace(alert.new_row, total=None)))
    assert "Note totale non publiée (édition 2020 : 40 points)" in text
    assert "non publié points" not in text


def test_a_renamed_school_is_told_under_both_names():
    old, new = (fixture_snapshot(y, url=URL, fetched_at=FETCHED) for y in (2019, 2020))
    (alert,) = alerts_for(old, new, diff(old, new), SchoolConfig(name="Télécom Paris"))
    text, _ = parts(alert)
    assert text.startswith("Télécom Paris (listée « Télécom ParisTech » auparavant) est classée")


def test_a_revision_labels_the_columns_before_and_after():
    revised = replace(moved(28, 27), old_edition=2021)
    text, html = parts(revised)
    assert "Points par famille de critères (avant révision → après révision)" in text
    assert "<th>avant révision</th><th>après révision</th>" in html


HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize("field", ["school", "peer", "indicator label", "indicator value", "criterion label"])
def test_each_scraped_field_is_escaped_in_the_html_part(alert, field):
    from watcher.model import IndicatorChange

    assert alert.new_row is not None and alert.old_row is not None
    changes = {
        "school": {"school": HOSTILE},
        "peer": {"peers": (peer_move(HOSTILE, alert.old_row, alert.new_row),)},
        "indicator label": {"indicators": (IndicatorChange(HOSTILE, "1", "2", 1),)},
        "indicator value": {"indicators": (IndicatorChange("Salaire", "1", HOSTILE, 0),)},
        "criterion label": {
            "new_row": replace(alert.new_row, scores=((HOSTILE, 12.0),)),
            "old_row": replace(alert.old_row, scores=((HOSTILE, 11.0),)),
        },
    }[field]
    text, html = parts(replace(alert, **changes))
    assert HOSTILE in text  # the plain text shows it as read
    assert "<img" not in html and "&lt;img src=x onerror=" in html


def test_a_count_one_off_from_the_page_is_said_in_the_alert(alert):
    text, _ = parts(replace(alert, declared_count=169))
    assert "168 écoles classées (167 dans l'édition 2020) ; la page en annonce 169" in text


# --- French typography, on the message as sent -------------------------------------------------------------------


def test_no_line_can_break_before_a_colon_a_percent_or_a_semicolon(alert):
    message = as_sent(alert)
    subject = str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for written in (subject, text, html):
        for mark in ":;%!?":
            assert f" {mark}" not in written, (mark, written[:300])
    assert f"IMT Mines Alès{NNBSP}: 27e" in subject
    assert f"dans les 17{NNBSP}% premières écoles" in text
    assert f"Note totale{NNBSP}: 43,5 points" in html
    assert "https://www.letudiant.fr/palmares/" in text  # addresses are left alone
