"""A school's own page → typed indicators. Pure.

Two layouts are read:

- The palmarès school page (README, "What happens in a check"): the name in
  h1.c-hero__etablissement__info__name, then a table whose indicator rows hold td.c-pmd-table__name >
  a.c-pmd-flex__item (the label) and td.c-pmd-table__value > span.u-typo-strong (the value); other rows
  are section headings.
- The directory page that replaced it in 2023
  (…/etudes/annuaire-enseignement-superieur/etablissement/etablissement-<slug>-<id>.html).
  Certain (two public scrapers agree): the ranking is made of sections div[id$="425-criteria"] …
  div[id$="431-criteria"], titled by div[id$="425-header"] h2 …; each criterion is a div.criterion-row
  holding its label (span.tw-font-medium), its score on 10 (div.tw-bg-ranking-green, "8,5/10" or "8,5")
  and its raw value (div.tw-text-right: "15,2", "36 %", "41 000 €", "NC").
  Unknown: the prefix before the section number (any `<digits>-criteria` id is taken); where the school's
  name is (the first h1 is taken); whether the criteria need script to appear (a directory page without
  them is refused, never read as "no indicators"); whether the page has a canonical link (used, with the
  address and empty sections, only to tell such a page from an unrelated one); whether higher scores on 10
  always mean better (assumed: they are a ranking's points).
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.filter import SoupStrainer

from watcher.errors import ParseRefused
from watcher.layouts.text import clean, french_number
from watcher.model import SCORE_SUFFIX, Indicator, SchoolPage, Value, normalize_name

_NOT_GIVEN = {"nc", "n c", "non concerne", "non communique", "non communiquee", "nd", "non disponible", ""}
_PERCENT = re.compile(r"^\s*([-+−]?\d[\d\s\u202f\xa0]*(?:[.,]\d+)?)\s*%\s*$")
_RANGE = re.compile(r"^\s*de\s+(.+?)\s+à\s+(.+?)$", re.IGNORECASE)
_ABOVE = re.compile(r"^\s*(?:\+\s*de|plus de|au moins)\s+(.+)$", re.IGNORECASE)
_BELOW = re.compile(r"^\s*(?:-\s*de|−\s*de|moins de)\s+(.+)$", re.IGNORECASE)
_QUANTITY = re.compile(r"^\s*([-+−]?\d[\d\s\u202f\xa0]*(?:[.,]\d+)?)\s*([^\d\s].*)?$")
# Which way is progress, by words of the (folded) label. An indicator named in neither list is neutral: a
# change is shown, but never called progress (the share of women, of apprentices, a required stay abroad…).
MIN_INDICATORS = 5
_DIRECTORY_PATH = "/annuaire-enseignement-superieur/etablissement/"
# Numbered ids only: a directory can have other "-criteria" blocks (search filters) that are not the ranking.
_SECTION_ID = re.compile(r"\d+-(?:criteria|header)$")
_CRITERIA_ID = re.compile(r"\d+-criteria$")
_SCORE = "div.tw-bg-ranking-green"
# The value cell may be right-aligned like the score, and the value may be bold like the label: exclude each.
_LABEL = "span.tw-font-medium:not(div.tw-bg-ranking-green *, div.tw-text-right *)"
_RAW = "div.tw-text-right:not(.tw-bg-ranking-green)"


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
    return clean(tag.get_text(" ", strip=True))


def parse_school_page(
    content: bytes, url: str, *, slug: str, edition: int, fetched_at: datetime, encoding: str | None = None
) -> SchoolPage:
    """Read a school page (palmarès or directory layout), or refuse it when it does not look like one."""
    # Only the name, the tables and the canonical link matter: building the rest of the page's tree (menus,
    # footer) would double the time.
    soup = BeautifulSoup(content, "lxml", from_encoding=encoding, parse_only=SoupStrainer(["h1", "table", "link"]))
    heading = soup.select_one("h1.c-hero__etablissement__info__name")
    if heading is None:
        return _directory_page(content, url, soup, slug, edition, fetched_at, encoding)
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


def _directory_page(
    content: bytes, url: str, head: BeautifulSoup, slug: str, edition: int, fetched_at: datetime, encoding: str | None
) -> SchoolPage:
    # A second pass, kept to the ranking's sections: the first one's strainer dropped every div.
    soup = BeautifulSoup(content, "lxml", from_encoding=encoding, parse_only=SoupStrainer(id=_SECTION_ID))
    indicators, criteria = _criteria(soup, url)
    if not criteria:
        canonical = head.select_one('link[rel~="canonical"][href]')
        hints = (url, str(canonical.get("href")) if canonical else "")
        if soup.find("div", id=_SECTION_ID) is not None or any(_DIRECTORY_PATH in hint for hint in hints):
            raise ParseRefused(
                'the ranking criteria (div.criterion-row in div[id$="-criteria"]) were not found on the school\'s '
                "directory page: they may be drawn by script; try [fetch] browser = true",
                url=url,
            )
        raise ParseRefused(
            "neither a palmarès school page (no h1.c-hero__etablissement__info__name) nor a directory page "
            "(no ranking criteria): not a school page",
            url=url,
        )
    heading = head.find("h1")
    name = _text(heading) if isinstance(heading, Tag) else ""
    if not name:
        raise ParseRefused("no school name (h1) on the directory page: its layout has changed", url=url)
    if criteria < MIN_INDICATORS:
        raise ParseRefused(f"only {criteria} criteria read on the directory page: its layout has changed", url=url)
    return SchoolPage(slug, url, name, tuple(indicators), fetched_at, edition)


def _criteria(soup: BeautifulSoup, url: str) -> tuple[list[Indicator], int]:
    """The directory page's criteria, each followed by its score on 10; and how many criteria were read."""
    indicators: list[Indicator] = []
    titles: dict[str, str | None] = {}
    criteria = 0
    for row in soup.select("div.criterion-row"):
        # The nearest section, so that a section nested in another (unknown) does not read its rows twice.
        box = row.find_parent("div", id=_CRITERIA_ID)
        if box is None:
            continue
        box_id = str(box.get("id"))
        if box_id not in titles:
            header = soup.find("div", id=box_id.removesuffix("criteria") + "header")
            title = header.find("h2") if isinstance(header, Tag) else None
            titles[box_id] = (_text(title) or None) if isinstance(title, Tag) else None
        section = titles[box_id]
        label_cell, raw_cell = row.select_one(_LABEL), row.select_one(_RAW)
        if label_cell is None or raw_cell is None or not _text(label_cell):
            # A half-read row would silently drop an indicator from the comparison: refuse instead.
            missing = "label (span.tw-font-medium)" if raw_cell is not None else "raw value (div.tw-text-right)"
            raise ParseRefused(
                f"a criterion of section {section or box_id!r} has no {missing}: the directory page's layout "
                "has changed",
                url=url,
            )
        label = _text(label_cell)
        indicators.append(Indicator(section, label, parse_value(_text(raw_cell))))
        criteria += 1
        if (score_cell := row.select_one(_SCORE)) is not None:
            text = _text(score_cell)
            score = french_number(text)
            value = Value("number", text, score) if score is not None else parse_value(text)
            indicators.append(Indicator(section, label + SCORE_SUFFIX, value))
    return indicators, criteria
