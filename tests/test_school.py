"""School pages: typed indicators, what changed between editions, and their place in a check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlite_utils

from watcher.cli import main
from watcher.errors import ParseRefused
from watcher.school import indicator_changes, parse_school_page, parse_value, school_page_url

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
    assert "nombre de chaires avec les entreprises (5 → 7)" in text  # in the ready paragraph too
    db = sqlite_utils.Database(config.parent / "watcher.db")
    assert [(r["slug"], r["edition"]) for r in db["school_pages"].rows_where(order_by="id")] == [
        ("imt-mines-ales", 2020),
        ("imt-mines-ales", 2021),
    ]


def test_an_unchanged_school_page_costs_a_304_and_stores_nothing(site: Site, smtp: SmtpServer, write_config) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    for _ in range(3):
        assert main(["--config", str(config), "check"]) == 0
    school_requests = [r for r in site.requests if r.path == SCHOOL_PATH + "imt-mines-ales.html"]
    assert len(school_requests) == 3 and all(r.headers.get("If-None-Match") for r in school_requests[1:])
    assert sqlite_utils.Database(config.parent / "watcher.db")["school_pages"].count == 1


def test_a_missing_school_page_is_a_warning_not_a_failure(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    assert main(["--config", str(config), "check"]) == 0
    site.edition(2021)
    del site.pages[SCHOOL_PATH + "imt-mines-ales.html"]
    assert main(["--config", str(config), "check"]) == 0
    assert "the page of IMT Mines Alès could not be read" in capsys.readouterr().err
    assert len(smtp.inbox.messages) == 1  # the rank alert still goes out, without indicators
    assert "Indicateurs" not in smtp.inbox.messages[0].get_body(("plain",)).get_content()


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
