"""prose(): the French sentences of an alert, on alerts built by alerts_for() from the real fixture editions;
and render_alert() embedding the rank chart in the HTML part."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from watcher.config import SchoolConfig
from watcher.french.chart import rank_chart_png
from watcher.french.prose import Prose, prose
from watcher.french.render import render_alert
from watcher.model import Alert, Snapshot
from watcher.news.diff import diff
from watcher.news.rules import alerts_for

from .conftest import fixture_snapshot, plain

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
URL = (
    "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/"
    "palmares-general-des-ecoles-d-ingenieurs/home.html"
)
RANKING = "Palmarès général des écoles d'ingénieurs"
TITLE = f"{RANKING} 2021 de L'Étudiant"
SERIES = "2019 : 40e, 2020 : 33e, 2021 : 27e"
PEERS = ("IMT Mines Albi", "mines-saint-etienne")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def editions() -> dict[int, Snapshot]:
    return {year: fixture_snapshot(year, url=URL) for year in (2019, 2020, 2021)}


def alert_of(
    editions: dict[int, Snapshot], school: SchoolConfig, old: int = 2020, new: int = 2021, with_past: bool = True
) -> Alert:
    before, after = editions[old], editions[new]
    past = [editions[y] for y in editions if y < old and with_past]
    (only,) = alerts_for(before, after, diff(before, after), school, past=past)
    return only


@pytest.fixture(scope="module")
def imt(editions) -> Alert:
    return alert_of(editions, SchoolConfig(name="IMT Mines Alès", peers=PEERS))


@pytest.fixture(scope="module")
def imt_prose(imt: Alert) -> Prose:
    return prose(imt)


# --- IMT Mines Alès, 2020 → 2021, with 2019 in the past -------------------------------------------------------


def test_alert_is_a_move_with_three_editions(imt: Alert) -> None:
    assert imt.kind == "moved"
    assert [(s.edition, s.row.rank if s.row else None) for s in imt.series] == [(2019, 40), (2020, 33), (2021, 27)]


def test_series(imt_prose: Prose) -> None:
    assert imt_prose.series == SERIES


def test_peer_lines(imt_prose: Prose) -> None:
    assert imt_prose.peers == (
        "IMT Mines Albi : 26e → 29e (perd 3 places)",
        "Mines Saint-Étienne : 5e → 1re (gagne 4 places)",
    )


def test_overtakes(imt_prose: Prose) -> None:
    # Alès was behind Albi (33e vs 26e) and is now ahead (27e vs 29e); Saint-Étienne stays ahead of both.
    assert imt_prose.overtakes == ("IMT Mines Alès passe devant IMT Mines Albi.",)


def test_overtaken_from_the_other_side(editions) -> None:
    albi = prose(alert_of(editions, SchoolConfig(name="IMT Mines Albi", peers=("imt-mines-ales",))))
    assert albi.overtakes == ("IMT Mines Alès passe devant IMT Mines Albi.",)
    assert albi.peers == ("IMT Mines Alès : 33e → 27e (gagne 6 places)",)


@pytest.mark.parametrize(
    "expected",
    [
        "IMT Mines Alès gagne six places",
        "elle passe de la 33e place à la 27e place",
        TITLE,
        "sur 168 écoles classées",
        "première moitié du groupe A",
        "dans les 17 % premières",
        "Elle était 40e en 2019 et 33e en 2020.",
    ],
)
def test_paragraph_figures(imt_prose: Prose, expected: str) -> None:
    assert expected in imt_prose.paragraph


def test_paragraph_names_only_the_criteria_that_progressed_with_their_delta(imt: Alert, imt_prose: Prose) -> None:
    # 2020 → 2021: académique 13,5 → 13,7; international 11,8 → 16,1; entreprises 13,6 → 11,5; publics 2,9 → 2,2.
    assert imt_prose.progressed == ("excellence académique (+0,2 point)", "ouverture internationale (+4,3 points)")
    assert imt_prose.declined == (
        "proximité avec les entreprises (−2,1 points)",
        "ouverture à de nouveaux publics (−0,7 point)",
    )
    # The paragraph names only notable progress: +4,3 points, not +0,2 (a few tenths come and go with rounding).
    assert "Elle progresse notamment en ouverture internationale (+4,3 points)." in imt_prose.paragraph
    for not_told in ("entreprises", "nouveaux publics", "académique"):
        assert not_told not in imt_prose.paragraph
    # Each criterion named really went up between the two rows.
    assert imt.old_row is not None and imt.new_row is not None
    before = dict(imt.old_row.scores)
    ups = [label.lower() for label, value in imt.new_row.scores if value is not None and value > before[label]]
    assert [p.split(" (")[0] for p in imt_prose.progressed] == ups


def test_whole_paragraph(imt_prose: Prose) -> None:
    assert imt_prose.paragraph == (
        f"IMT Mines Alès gagne six places au {TITLE} : elle passe de la 33e place à la 27e place sur 168 écoles "
        "classées, dans les 17 % premières, et se positionne dans la première moitié du groupe A. Elle progresse "
        "notamment en ouverture internationale (+4,3 points). Elle était 40e en 2019 et 33e en 2020."
    )
    assert "→" not in imt_prose.paragraph and " : 2019" not in imt_prose.paragraph


# --- Other moves, from the same fixtures ----------------------------------------------------------------------


def test_loss_says_en_recul(editions) -> None:
    albi = alert_of(editions, SchoolConfig(name="IMT Mines Albi"))
    text = prose(albi)
    assert albi.kind == "moved"
    assert text.paragraph.startswith(
        f"IMT Mines Albi perd trois places au {TITLE} : elle passe de la 26e place à la 29e place"
    )
    assert "dans les 18 % premières, et se positionne dans la seconde moitié du groupe A" in text.paragraph
    assert text.series == "2019 : 23e, 2020 : 26e, 2021 : 29e"
    assert "gagne" not in text.paragraph


def test_stable_rank_conserves_its_rank(editions) -> None:
    alert = alert_of(editions, SchoolConfig(name="Centrale Marseille", peers=("IMT Mines Alès",)))
    assert alert.kind == "stable"
    text = prose(alert)
    assert text.paragraph.startswith(f"Centrale Marseille conserve sa 22e place au {TITLE}, sur 168 écoles classées")
    assert "gagne" not in text.paragraph and "perd" not in text.paragraph
    assert text.series == "2019 : 29e, 2020 : 22e, 2021 : 22e"
    assert text.overtakes == ()


def test_same_rank_peer_line(editions) -> None:
    text = prose(alert_of(editions, SchoolConfig(name="IMT Mines Alès", peers=("Centrale Marseille",))))
    assert text.peers == ("Centrale Marseille : 22e → 22e (même rang)",)


def test_back_after_an_absence(editions) -> None:
    alert = alert_of(editions, SchoolConfig(name="ENSG Géomatique"))  # 144e in 2019, absent in 2020, 124e in 2021
    assert alert.kind == "entered"
    text = prose(alert)
    assert text.paragraph.startswith(
        f"ENSG Géomatique fait son retour au {TITLE} : elle est classée 124e sur 168 écoles"
    )
    assert text.paragraph.endswith("Elle était 144e en 2019 et non classée en 2020.")
    assert text.series == "2019 : 144e, 2020 : non classée, 2021 : 124e"
    assert text.progressed == () and text.overtakes == ()


def test_first_entry(editions) -> None:
    alert = alert_of(editions, SchoolConfig(name="ENSG Géomatique"), with_past=False)
    assert prose(alert).paragraph.startswith(f"ENSG Géomatique fait son entrée au {TITLE} : elle est classée 124e")


def test_left(editions) -> None:
    alert = alert_of(editions, SchoolConfig(name="Télécom Saint-Étienne"))  # 90e in 2020, absent in 2021
    assert alert.kind == "left"
    text = prose(alert)
    assert text.paragraph == (
        f"Télécom Saint-Étienne ne figure pas au {TITLE}, qui classe 168 écoles. Elle était 90e dans l'édition 2020."
    )
    assert text.series == "2019 : 87e, 2020 : 90e, 2021 : non classée"


def test_entered_and_left_peers(editions) -> None:
    school = SchoolConfig(name="IMT Mines Alès", peers=("telecom-saint-etienne", "ENSG Géomatique"))
    text = prose(alert_of(editions, school))
    assert text.peers == (
        "Télécom Saint-Étienne : ne figure plus dans la liste (était 90e)",
        "ENSG Géomatique : 124e (n'était pas classée)",
    )
    assert text.overtakes == ()  # a peer missing from one edition is nobody to overtake


def test_ties_say_ex_aequo(editions) -> None:
    # ISAE-Supaero: 9e ex aequo in 2019, 11e in 2020, 4e ex aequo in 2021; AgroParisTech 20e ex aequo → 19e.
    alert = alert_of(editions, SchoolConfig(name="ISAE-Supaero", peers=("agroparistech",)))
    text = prose(alert)
    assert text.series == "2019 : 9e ex aequo, 2020 : 11e, 2021 : 4e ex aequo"
    assert text.paragraph.startswith(
        f"ISAE-Supaero gagne sept places au {TITLE} : elle passe de la 11e place à la 4e place ex aequo"
    )
    assert text.paragraph.endswith("Elle était 9e ex aequo en 2019 et 11e en 2020.")
    assert text.peers == ("AgroParisTech : 20e ex aequo → 19e (gagne 1 place)",)


def test_series_without_the_past(editions) -> None:
    # Without the past, the series has two editions: still told, and still in the paragraph.
    before, after = editions[2020], editions[2021]
    (alert,) = alerts_for(before, after, diff(before, after), SchoolConfig(name="IMT Mines Alès"))
    text = prose(alert)
    assert text.series == "2020 : 33e, 2021 : 27e"
    assert text.paragraph.endswith("Elle était 33e en 2020.")


def test_an_edition_without_a_list_read_is_said_so(editions) -> None:
    # 2019 and 2021 held, 2020 not: the paragraph does not pretend the series is whole.
    before, after = editions[2019], editions[2021]
    (alert,) = alerts_for(before, after, diff(before, after), SchoolConfig(name="IMT Mines Alès"))
    assert prose(alert).paragraph.endswith("Elle était 40e en 2019 (pas de relevé pour 2020).")
    assert prose(alert).series == "2019 : 40e, 2020 : pas de relevé, 2021 : 27e"


def test_a_run_of_editions_without_a_list_is_said_once(editions) -> None:
    from dataclasses import replace

    before, after = editions[2020], replace(editions[2021], edition=2024)
    past = [editions[2019]]
    (alert,) = alerts_for(before, after, diff(before, after), SchoolConfig(name="IMT Mines Alès"), past=past)
    text = prose(alert)
    assert text.series == "2019 : 40e, 2020 : 33e, 2021 à 2023 : pas de relevé, 2024 : 27e"
    assert text.paragraph.endswith("Elle était 40e en 2019 et 33e en 2020 (pas de relevé pour 2021, 2022 et 2023).")


# --- render_alert with and without the chart -------------------------------------------------------------------


def render(alert: Alert, chart: bytes | None):
    return plain(
        render_alert(alert, sender="watcher@example.org", recipients=("communication@example.org",), chart=chart)
    )


def test_chart_is_embedded_as_a_related_part(imt: Alert) -> None:
    png = rank_chart_png(imt.series)
    assert png is not None and png.startswith(PNG_MAGIC)
    # As the SMTP server would receive it.
    message = message_from_bytes(bytes(render(imt, png)), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",))
    assert html is not None
    source = html.get_content()
    cids = [line.split('src="cid:', 1)[1].split('"', 1)[0] for line in source.splitlines() if 'src="cid:' in line]
    assert len(cids) == 1
    cid = cids[0]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    (image,) = images
    assert image["Content-ID"] == f"<{cid}>"
    assert image.get_content() == png
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    assert [p.get_content_type() for p in related[0].iter_parts()] == ["text/html", "image/png"]
    assert f'alt="Rang d&#39;IMT Mines Alès par édition : {SERIES}"' in source  # elided: d'IMT, not "de IMT"
    # The plain part does not mention the image.
    text = message.get_body(("plain",))
    assert text is not None and "cid:" not in text.get_content()


def test_chart_part_is_inline_not_an_attachment(imt: Alert) -> None:
    png = rank_chart_png(imt.series)
    message = message_from_bytes(bytes(render(imt, png)), policy=policy.default)
    (image,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert image.get_content_disposition() in (None, "inline")
    assert not list(message.iter_attachments())


def test_no_chart_no_img(imt: Alert) -> None:
    message = message_from_bytes(bytes(render(imt, None)), policy=policy.default)
    html = message.get_body(("html",))
    assert html is not None
    assert "<img" not in html.get_content()
    assert "cid:" not in html.get_content()
    assert [p.get_content_type() for p in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]


def test_a_criterion_and_its_score_on_10_are_named_once_in_the_paragraph(imt: Alert) -> None:
    from dataclasses import replace

    from watcher.model import SCORE_SUFFIX, IndicatorChange

    changes = (
        IndicatorChange("Salaire à la sortie", "40 500 €", "41 000 €", 1),
        IndicatorChange("Salaire à la sortie" + SCORE_SUFFIX, "7,5/10", "8/10", 1),
        IndicatorChange("Forums entreprises" + SCORE_SUFFIX, "6/10", "7/10", 1),  # no raw value changed: kept
    )
    told = prose(replace(imt, indicators=changes))
    assert "salaire à la sortie (40 500 € → 41 000 €)" in told.progressed
    assert not any(p.startswith("salaire à la sortie (note") for p in told.progressed)
    assert "forums entreprises (note sur 10) (6/10 → 7/10)" in told.progressed
