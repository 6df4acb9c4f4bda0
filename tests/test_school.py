"""School pages: typed indicators, what changed between editions, and their place in a check."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

from watcher.cli import main
from watcher.errors import ParseRefused
from watcher.layouts.school import parse_school_page, parse_value, school_page_url
from watcher.news.indicators import indicator_changes

from .conftest import FIXTURES, SCHOOL_PATH, Site, SmtpServer, fixture

AT = datetime(2020, 12, 17, 6, 2, tzinfo=UTC)


def page(slug: str, year: int):
    content = fixture(f"school/{slug}-{year}.html")
    return parse_school_page(content, f"https://x/{slug}.html", slug=slug, edition=year, fetched_at=AT)


@pytest.mark.parametrize(
    ("text", "kind", "low", "high", "unit"),
    [
        ("36 %", "percent", 36.0, None, "%"),
        ("12,5 %", "percent", 12.5, None, "%"),
        ("+ de 41 000 €", "range", 41000.0, None, "€"),
        ("de 35 000 à 38 000 €", "range", 35000.0, 38000.0, "€"),
        ("moins de 30 000 €", "range", None, 30000.0, "€"),
        ("1,5 mois", "number", 1.5, None, "mois"),
        ("87", "number", 87.0, None, None),
        ("Pas de prépa intégrée", "text", None, None, None),
        ("NC", "not-given", None, None, None),
        ("Non concerné", "not-given", None, None, None),
        ("Non communiqué", "not-given", None, None, None),
    ],
)
def test_values_are_typed(text: str, kind: str, low: float | None, high: float | None, unit: str | None) -> None:
    value = parse_value(text)
    assert (value.kind, value.low, value.high, value.unit, value.text) == (kind, low, high, unit, text)


def test_school_page_fixture_is_read_whole() -> None:
    school = page("imt-mines-ales", 2021)
    assert school.name == "IMT Mines Alès"
    assert len(school.indicators) == 66
    sections = {i.section for i in school.indicators}
    assert sections == {
        "Excellence académique",
        "Ouverture internationale",
        "Proximité avec les entreprises",
        "Ouverture à de nouveaux publics",
    }
    salary = next(i for i in school.indicators if i.label == "Salaire à la sortie, hors prime")
    assert (salary.value.kind, salary.value.low, salary.value.high) == ("range", 35000.0, 38000.0)


def test_changes_between_editions_say_progress_or_decline() -> None:
    changes = {
        c.label: (c.old, c.new, c.direction)
        for c in indicator_changes(page("imt-mines-ales", 2020), page("imt-mines-ales", 2021))
    }
    assert changes["Nombre de chaires avec les entreprises"] == ("5", "7", 1)
    assert changes["Part de diplômés en poste à l'étranger 1 an après la fin des études"] == ("9 %", "12,5 %", 1)
    assert changes["Délai moyen d'accès au premier emploi"] == ("1,2 mois", "1,5 mois", -1)  # longer is worse
    assert "Part de femmes" not in changes  # unchanged
    assert len(changes) == 5


def test_a_list_page_is_not_a_school_page() -> None:
    with pytest.raises(ParseRefused, match="not a school page"):
        parse_school_page(fixture("palmares-general-2020.html"), "u", slug="x", edition=2020, fetched_at=AT)


def test_school_page_url_follows_the_list_family() -> None:
    engineering = "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/general/home.html"
    business = "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-de-commerce/general/home.html"
    assert school_page_url(engineering, "imt-mines-ales") == (
        "https://www.letudiant.fr/palmares/palmares-des-ecoles-d-ingenieurs/imt-mines-ales.html"
    )
    assert school_page_url(business, "essec").endswith("/palmares/palmares-des-ecoles-de-commerce/essec.html")


def test_the_alert_lists_indicators_that_moved(site: Site, smtp: SmtpServer, write_config) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    assert main(["--config", str(config), "check"]) == 0
    site.edition(2021)
    assert main(["--config", str(config), "check"]) == 0
    text = smtp.inbox.messages[0].get_body(("plain",)).get_content()
    assert "Nombre de chaires avec les entreprises : 5 → 7 (progrès)" in text
    assert "Délai moyen d'accès au premier emploi : 1,2 mois → 1,5 mois (recul)" in text
    assert "nombre de chaires avec les entreprises (de 5 à 7)" in text  # in the ready paragraph too, without arrows
    db = sqlite_utils.Database(config.parent / "watcher.db")
    assert [(r["slug"], r["edition"]) for r in db["school_pages"].rows_where(order_by="id")] == [
        ("imt-mines-ales", 2020),
        ("imt-mines-ales", 2021),
    ]


def test_an_unchanged_school_page_is_asked_for_once_a_day_costs_a_304_and_stores_nothing(
    site: Site, smtp: SmtpServer, write_config
) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    db = sqlite_utils.Database(config.parent / "watcher.db")
    for _ in range(3):  # the baseline reads it; the list is unchanged, and it was read less than a day ago
        assert main(["--config", str(config), "check"]) == 0
    yesterday = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    db.execute("update school_page_asks set asked_at = ?", [yesterday])
    db.conn.commit()
    for _ in range(2):  # a day later: asked again, conditionally, once
        assert main(["--config", str(config), "check"]) == 0
    school_requests = [r for r in site.requests if r.path == SCHOOL_PATH + "imt-mines-ales.html"]
    assert len(school_requests) == 2 and school_requests[1].headers.get("If-None-Match")
    assert db["school_pages"].count == 1


def test_a_missing_school_page_is_a_warning_not_a_failure(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    assert main(["--config", str(config), "check"]) == 0
    site.edition(2021)
    del site.pages[SCHOOL_PATH + "imt-mines-ales.html"]
    assert main(["--config", str(config), "check"]) == 0
    assert "the page of IMT Mines Alès could not be read" in capsys.readouterr().err
    (alert,) = [m for m in smtp.inbox.messages if m["X-Watcher-Kind"] != "ops"]  # the rank alert still goes out
    assert "Indicateurs" not in alert.get_body(("plain",)).get_content()  # without indicators
    assert any(m["X-Watcher-Kind"] == "ops" for m in smtp.inbox.messages)  # ops hear of the page once


def test_fixture_school_pages_exist_for_the_peers() -> None:
    assert sorted(p.name for p in (FIXTURES / "school").glob("*-2021.html")) == [
        "imt-mines-albi-2021.html",
        "imt-mines-ales-2021.html",
        "mines-saint-etienne-2021.html",
    ]


def test_an_indicator_with_no_better_direction_is_never_called_progress() -> None:
    old, new = page("imt-mines-ales", 2021), page("imt-mines-ales", 2021)
    women = next(i for i in new.indicators if i.label == "Part de femmes")
    more = replace(women, value=parse_value("35 %"))
    new = replace(new, indicators=tuple(more if i is women else i for i in new.indicators), content_hash="")
    (change,) = indicator_changes(old, new)
    assert (change.label, change.old, change.new, change.direction) == ("Part de femmes", "29 %", "35 %", 0)


DIRECTORY_URL = (
    "https://www.letudiant.fr/etudes/annuaire-enseignement-superieur/etablissement/"
    "etablissement-imt-mines-ales-1234.html"
)


def directory_page(name: str, url: str = DIRECTORY_URL, content: bytes | None = None):
    content = fixture(f"directory/{name}.html") if content is None else content
    return parse_school_page(content, url, slug="imt-mines-ales", edition=2026, fetched_at=AT)


def test_directory_page_is_read_whole() -> None:
    school = directory_page("imt-mines-ales-2026")
    assert school.name == "IMT Mines Alès"
    assert len(school.indicators) == 40  # 20 criteria, each with its score on 10
    assert [i.section for i in school.indicators[::2]].count("Ouverture internationale") == 4
    by_label = {i.label: i for i in school.indicators}
    salary = by_label["Salaire à la sortie"]
    assert salary.section == "Insertion professionnelle"
    assert (salary.value.kind, salary.value.text, salary.value.low, salary.value.unit) == (
        "number",
        "41 000 €",
        41000.0,
        "€",
    )
    score = by_label["Salaire à la sortie (note sur 10)"]
    assert (score.section, score.value.kind, score.value.text, score.value.low) == (
        "Insertion professionnelle",
        "number",
        "8/10",
        8.0,
    )
    assert by_label["Insertion à deux mois"].value.kind == "percent"
    assert by_label["Réputation internationale"].value.low == 6.4


def test_directory_changes_between_editions_say_progress_or_decline() -> None:
    changes = {
        c.label: (c.old, c.new, c.direction)
        for c in indicator_changes(directory_page("imt-mines-ales-2025"), directory_page("imt-mines-ales-2026"))
    }
    assert changes == {
        "Salaire à la sortie": ("40 500 €", "41 000 €", 1),
        "Salaire à la sortie (note sur 10)": ("7,5/10", "8/10", 1),
        "Insertion à deux mois": ("88 %", "86 %", -1),
        "Insertion à deux mois (note sur 10)": ("8,5/10", "8/10", -1),
        "Délai moyen d'accès au premier emploi": ("1,2 mois", "1,5 mois", -1),  # longer is worse
        "Réputation internationale": ("NC", "6,4", 0),  # newly given: not comparable
        "Part de femmes": ("27 %", "29 %", 0),  # no better direction
    }


def test_a_peer_directory_page_is_read_and_compared() -> None:
    old, new = directory_page("imt-mines-albi-2025"), directory_page("imt-mines-albi-2026")
    assert new.name == "IMT Mines Albi"
    changes = {c.label: c.direction for c in indicator_changes(old, new)}
    assert changes["Frais de scolarité"] == -1  # dearer is worse
    assert changes["Frais de scolarité (note sur 10)"] == -1
    assert changes["Salaire à la sortie"] == -1


@pytest.mark.parametrize("url", [DIRECTORY_URL, "https://x/imt-mines-ales.html"])
def test_a_directory_page_without_criteria_is_refused(url: str) -> None:
    with pytest.raises(ParseRefused, match=r"ranking criteria .* not found.*\[fetch\] browser = true"):
        directory_page("refused-no-criteria", url)


def test_empty_ranking_sections_are_refused_not_read_as_no_indicators() -> None:
    html = fixture("directory/imt-mines-ales-2026.html").decode()
    html = re.sub(r'<div class="criterion-row.*?\n</div>', "", html, flags=re.DOTALL)
    html = re.sub(r'<link rel="canonical"[^>]*>', "", html)
    assert "criterion-row" not in html and 'id="etablissement-425-criteria"' in html
    with pytest.raises(ParseRefused, match=r"ranking criteria .* not found.*browser"):
        directory_page("", "https://x/imt-mines-ales.html", html.encode())


def test_a_half_read_criterion_refuses_the_directory_page() -> None:
    html = fixture("directory/imt-mines-ales-2026.html").decode()
    html = html.replace('<div class="tw-w-28 tw-text-right tw-text-gray-700">15,2</div>', "", 1)
    with pytest.raises(ParseRefused, match=r"Excellence académique.* no raw value"):
        directory_page("", content=html.encode())


def test_a_page_of_neither_layout_is_refused() -> None:
    html = b"""<!DOCTYPE html><html><body><h1>Annuaire</h1><div id="search-criteria">
    <div class="criterion-row"><span class="tw-font-medium">Ville</span><div class="tw-text-right">Albi</div></div>
    </div></body></html>"""  # a "-criteria" block that is not the ranking (no section number)
    with pytest.raises(ParseRefused, match="not a school page"):
        directory_page("", "https://x/annuaire.html", html)
    with pytest.raises(ParseRefused, match="not a school page"):
        directory_page("palmares-general-2020", "https://x/palmares.html", fixture("palmares-general-2020.html"))
