"""A school's own palmarès page → typed indicators, and what changed between two editions. Pure.

The page (README, "What happens in a check"): the name in h1.c-hero__etablissement__info__name, then a
table whose indicator rows hold td.c-pmd-table__name > a.c-pmd-flex__item (the label) and
td.c-pmd-table__value > span.u-typo-strong (the value); other rows are section headings.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, SoupStrainer, Tag

from .errors import ParseRefused
from .layouts import french_number
from .model import Indicator, IndicatorChange, SchoolPage, Value, normalize_name

_NOT_GIVEN = {"nc", "n c", "non concerne", "non communique", "non communiquee", "nd", "non disponible", ""}
_PERCENT = re.compile(r"^\s*([-+−]?\d[\d\s\u202f\xa0]*(?:[.,]\d+)?)\s*%\s*$")
_RANGE = re.compile(r"^\s*de\s+(.+?)\s+à\s+(.+?)$", re.IGNORECASE)
_ABOVE = re.compile(r"^\s*(?:\+\s*de|plus de|au moins)\s+(.+)$", re.IGNORECASE)
_BELOW = re.compile(r"^\s*(?:-\s*de|−\s*de|moins de)\s+(.+)$", re.IGNORECASE)
_QUANTITY = re.compile(r"^\s*([-+−]?\d[\d\s\u202f\xa0]*(?:[.,]\d+)?)\s*([^\d\s].*)?$")
# Which way is progress, by words of the (folded) label. An indicator named in neither list is neutral: a
# change is shown, but never called progress (the share of women, of apprentices, a required stay abroad…).
_HIGHER_IS_BETTER = (
    "salaire", "publication", "chaire", "docteur", "hdr", "poste a l etranger", "cdi", "start up",
    "boursier", "double diplome", "doubles diplomes", "moyenne au bac", "poursuite en these", "reussite",
    "etudiants etrangers", "insertion", "taux net d emploi",
)  # fmt: skip
_LOWER_IS_BETTER = ("delai", "taux d echec", "frais de scolarite")
MIN_INDICATORS = 5


def _amount(text: str) -> tuple[float | None, str | None]:
    match = _QUANTITY.match(text)
    if not match:
        return None, None
    return french_number(match.group(1)), (match.group(2) or "").strip() or None


def parse_value(text: str) -> Value:
    """'36 %', 'de 35 000 à 38 000 €', '+ de 41 000 €', '1,5 mois', 'NC', 'Pas de prépa intégrée' → a `Value`."""
    text = " ".join(text.split())
    if normalize_name(text) in _NOT_GIVEN:
        return Value("not-given", text)
    if match := _PERCENT.match(text):
        return Value("percent", text, french_number(match.group(1)), unit="%")
    if match := _RANGE.match(text):
        (low, unit_low), (high, unit) = _amount(match.group(1)), _amount(match.group(2))
        if low is not None and high is not None:
            return Value("range", text, low, high, unit or unit_low)
    for pattern, bound in ((_ABOVE, "low"), (_BELOW, "high")):
        if match := pattern.match(text):
            amount, unit = _amount(match.group(1))
            if amount is not None:
                return Value("range", text, unit=unit, **{bound: amount})
    amount, unit = _amount(text)
    if amount is not None and (unit is None or len(unit) <= 12):
        return Value("number", text, amount, unit=unit)
    return Value("text", text)


def school_page_url(list_url: str, slug: str) -> str:
    """`…/palmares/liste-profils/<family>/<list>/home.html` → `…/palmares/<family>/<slug>.html`."""
    parts = urlsplit(list_url).path.split("/")
    family = parts[3] if len(parts) > 3 and parts[2] == "liste-profils" else "palmares-des-ecoles-d-ingenieurs"
    return urljoin(list_url, f"/palmares/{family}/{slug}.html")


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def parse_school_page(
    content: bytes, url: str, *, slug: str, edition: int, fetched_at: datetime, encoding: str | None = None
) -> SchoolPage:
    """Read a school page, or refuse it when it does not look like one."""
    # Only the name and the tables matter: building the rest of the page's tree (menus, footer) would double the time.
    soup = BeautifulSoup(content, "lxml", from_encoding=encoding, parse_only=SoupStrainer(["h1", "table"]))
    heading = soup.select_one("h1.c-hero__etablissement__info__name")
    if heading is None:
        raise ParseRefused("no school name (h1.c-hero__etablissement__info__name): not a school page", url=url)
    indicators: list[Indicator] = []
    section: str | None = None
    for tr in soup.select("table.c-pmd-table tr"):
        label_cell = tr.select_one("td.c-pmd-table__name")
        value_cell = tr.select_one("td.c-pmd-table__value")
        if label_cell is None or value_cell is None:
            section = _text(tr) or section  # a section heading row
            continue
        label = label_cell.select_one("a.c-pmd-flex__item") or label_cell
        value = value_cell.select_one("span.u-typo-strong") or value_cell
        indicators.append(Indicator(section, _text(label), parse_value(_text(value))))
    if len(indicators) < MIN_INDICATORS:
        raise ParseRefused(
            f"only {len(indicators)} indicators read on the school page: its layout has changed", url=url
        )
    return SchoolPage(slug, url, _text(heading), tuple(indicators), fetched_at, edition)


def _direction(label: str, old: Value, new: Value) -> int:
    before, after = old.magnitude, new.magnitude
    if before is None or after is None or old.kind != new.kind or before == after:
        return 0
    folded = f" {normalize_name(label)} "
    if any(f" {word}" in folded for word in _HIGHER_IS_BETTER):
        return 1 if after > before else -1
    if any(f" {word}" in folded for word in _LOWER_IS_BETTER):
        return 1 if after < before else -1
    return 0


def indicator_changes(old: SchoolPage, new: SchoolPage) -> tuple[IndicatorChange, ...]:
    """Indicators whose published value changed, with whether that is progress (+1), a decline (-1) or neither."""
    before = {(i.section, i.label): i.value for i in old.indicators}
    changes = []
    for indicator in new.indicators:
        prior = before.get((indicator.section, indicator.label))
        if prior is not None and prior.text != indicator.value.text:
            direction = _direction(indicator.label, prior, indicator.value)
            changes.append(IndicatorChange(indicator.label, prior.text, indicator.value.text, direction))
    return tuple(changes)
