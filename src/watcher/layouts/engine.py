"""Apply a `Layout` to one list page's bytes: its rows, edition, count and pagination, or why not.

The parser has no knowledge of any particular version of the site: all of it is in the layouts. It tries
each layout whose marker is on the page; when none is, it refuses and says, for each layout, what was not
found. When two layouts read the same page (a table for desktops and cards for phones), they must agree.

Only the part of the page the layouts read is built into a tree (`find.built`): what their selectors can match,
and a layout's `part` where its rows are found upward from an anchor. When a read of the part refuses, the whole
page is read and decides, so a part that holds too little costs time, never a different answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from watcher.errors import NoLayoutFits, ParseRefused
from watcher.layouts.css import Fit, inner, needs
from watcher.layouts.find import Page, Wanted, built
from watcher.layouts.spec import Layout, builtin_layouts
from watcher.layouts.table import ROW_FIELDS, Columns, columns, expand, own_cells
from watcher.layouts.text import RANK, UNRANKED, decode, french_number, out_of, text_of
from watcher.layouts.urls import links, page_number
from watcher.model import Row, normalize_name

_YEAR = re.compile(r"\b(20\d\d)\b")


@dataclass(frozen=True, slots=True)
class ListPage:
    """What one page of a list holds, before the pages are put together."""

    url: str
    edition: int | None
    rows: tuple[Row, ...]
    next_url: str | None
    declared_count: int | None
    last_group: str | None
    layout: str = ""
    ranks_derived: bool = False  # the page shows no rank: the rows' ranks are their positions, to be derived
    number: int = 1  # this page's number in the list
    page_links: tuple[tuple[int, str], ...] = ()  # the other pages its pagination shows: (number, URL)
    page_param: str = "page"
    skipped: int = 0  # rows that were neither a school nor a group heading (adverts, banners)
    foreign_pages: tuple[str, ...] = ()  # pagination links that do not lead to another page of this list


def _rows(doc: Page, layout: Layout, url: str) -> list[Tag]:
    """The row elements, in order; with `anchor`, each anchor's nearest ancestor (or itself) matching `row`."""
    if not layout.anchor:
        return doc.select(layout.row)
    rows = [doc.closest(anchor, layout.row) for anchor in doc.select(layout.anchor)]
    if doc.partial and None in rows:
        # The row may lie beyond the part that was built: the whole page decides.
        raise ParseRefused(f"an anchor ({layout.anchor!r}) has no row within the part {layout.part!r}", url=url)
    return list({id(row): row for row in rows if row is not None}.values())


def _innermost(elements: list[Tag]) -> list[Tag]:
    """Drop an element that holds another one: a card's wrapper is not a card."""
    chosen = {id(e) for e in elements}
    holders = {id(parent) for e in elements for parent in e.parents if id(parent) in chosen}
    return [e for e in elements if id(e) not in holders]


class _RowReader:
    """Reads the fields of one layout from the row elements of one page."""

    def __init__(self, doc: Page, layout: Layout, cols: Columns | None, url: str) -> None:
        self.doc, self.layout, self.cols, self.url = doc, layout, cols, url
        # Which column each `col:` field reads, and where the rank, school and total sit: found once per page.
        index = cols.index if cols else {}
        self._column = {spec: index.get(k) for k in ROW_FIELDS if (spec := getattr(layout, k)) and spec[:4] == "col:"}
        self._named = [index[k] for k in ("rank", "school", "total") if k in index]

    def cell(self, row: Tag, spec: str | None, cells: list[Tag]) -> Tag | str | None:
        if spec is None:
            return None
        if spec.startswith("col:"):
            i = self._column[spec]
            return cells[i] if i is not None and i < len(cells) else None
        if spec.startswith("re:"):
            match = re.search(spec[3:], text_of(row), re.IGNORECASE)
            return (match.group(1) if match.groups() else match.group()) if match else None
        return self.doc.first(row, spec)

    def text(self, row: Tag, spec: str | None, cells: list[Tag]) -> str:
        found = self.cell(row, spec, cells)
        return found if isinstance(found, str) else text_of(found) if found is not None else ""

    def read(self, row: Tag, position: int, group: str | None) -> Row | str | None:
        """The row's school; None for a row listed as not ranked; "" for a row that is not a school."""
        layout = self.layout
        cells = expand(own_cells(row)) if self.cols else []
        if self.cols and self._spans(cells):
            return ""  # one cell across the school's columns: a heading or an advert, never a school
        school = self.cell(row, layout.school, cells)
        link = school if layout.link == layout.school else self.doc.first(row, layout.link) if layout.link else None
        if link is None and isinstance(school, Tag):
            link = school if school.name == "a" else school.find("a", href=True)
        rank_text = self.text(row, layout.rank, cells)
        rank_match = RANK.match(rank_text) if layout.rank else None
        name = text_of(school) if isinstance(school, Tag) else (school or "")
        if link is None and rank_match is None and (layout.rank or not name):
            return ""  # an advert, a spacer or a heading, not a school
        if self.cols and len(cells) != self.cols.width:
            raise ParseRefused(
                f"a school row has {len(cells)} cells where the headers have {self.cols.width} columns: "
                f"{text_of(row)[:120]!r}",
                url=self.url,
            )
        if layout.rank and rank_match is None:
            if normalize_name(rank_text) in UNRANKED:
                return None  # listed but explicitly not ranked ("NC", "non classée"): not part of the ranking
            raise ParseRefused(
                f"a school row has no readable rank: {rank_text!r} in {text_of(row)[:120]!r}", url=self.url
            )
        if not name:
            raise ParseRefused(f"the school row ranked {rank_text or position!r} has no school name", url=self.url)
        href = str(link.get("href", "")) if isinstance(link, Tag) else ""
        city = self.text(row, layout.city, cells) or None
        if city is None and layout.city_after and layout.city_after in name:
            city = name.rsplit(layout.city_after, 1)[1].strip() or None
        total_text = self.text(row, layout.total, cells)
        criteria = self._criteria(row, cells)
        return Row(
            rank=int(rank_match.group(1)) if rank_match else position,
            name=name,
            slug=self._school_id(href),
            city=city,
            scores=tuple((label, french_number(text)) for label, text in criteria),
            score_max=tuple((label, top) for label, text in criteria if (top := out_of(text)) is not None),
            total=french_number(total_text),
            total_max=out_of(total_text),
            group=self._group(row, cells) or group,
            link=urljoin(self.url, href).split("#", 1)[0] if href and not href.startswith("#") else None,
        )

    def _spans(self, cells: list[Tag]) -> bool:
        at = {id(cells[i]) for i in self._named if i < len(cells)}
        return len(self._named) > 1 and len(at) == 1

    def _group(self, row: Tag, cells: list[Tag]) -> str | None:
        """The group a column or element of the row gives (the letter alone, or "Groupe A+")."""
        letter = re.search(r"(?<![\w+])([A-E]\+?)(?![\w'’+])", self.text(row, self.layout.group_field, cells))
        return letter.group(1).upper() if letter else None

    def _school_id(self, href: str) -> str | None:
        if not href or not self.layout.school_id:
            return None
        match = re.search(self.layout.school_id, urlsplit(href).path)
        return match.group(1) if match else None

    def _criteria(self, row: Tag, cells: list[Tag]) -> list[tuple[str, str]]:
        """Each criterion's label and text as published ("28/30"), in order."""
        layout = self.layout
        if self.cols and layout.criteria == "col:*":
            return [(label, text_of(cells[i])) for i, label in self.cols.criteria]
        if not layout.criteria or layout.criteria.startswith("col:"):
            return []
        out = []
        for element in self.doc.inside(row, layout.criteria):
            label = self.doc.first(element, str(layout.criterion_label))
            value = self.doc.first(element, str(layout.criterion_value))
            if label is not None:
                out.append((text_of(label), text_of(value) if value is not None else ""))
        return out


def _edition(doc: Page, layout: Layout) -> int | None:
    words = [normalize_name(w) for w in layout.edition_words]
    for tag in doc.select(layout.edition):
        text = text_of(tag)
        if words and not any(w in normalize_name(text) for w in words):
            continue
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


def _declared(doc: Page, layout: Layout) -> int | None:
    if not layout.declared:
        return None
    for tag in doc.select(layout.declared):
        match = re.search(layout.declared_pattern, text_of(tag), re.IGNORECASE)
        if match:
            number = french_number(match.group(1))
            if number is None:
                raise ParseRefused(f"declared_pattern read {match.group(1)!r} as the number of schools, not a number")
            return int(number)
    return None


def read_with(doc: Page, layout: Layout, url: str, group: str | None = None) -> ListPage:
    """Read one page with one layout, or refuse with what did not fit."""
    cols = columns(doc, layout, url)
    head = {id(tr) for tr in doc.select(layout.header)} if layout.header else set()
    elements = _innermost([e for e in _rows(doc, layout, url) if id(e) not in head])
    reader = _RowReader(doc, layout, cols, url)
    rows: list[Row] = []
    skipped = 0
    for element in elements:
        row = reader.read(element, len(rows) + 1, group)
        if row == "":
            heading = re.search(layout.group, text_of(element) + " ", re.IGNORECASE) if layout.group else None
            if heading:
                group = next(g for g in heading.groups() if g).upper()
            else:
                skipped += 1
        elif isinstance(row, Row):
            rows.append(row)
    if not rows:
        raise ParseRefused(f"no school rows (empty table): no school in the elements {layout.row!r}", url=url)
    if layout.count and (shown := len(doc.select(layout.count))) != len(rows):
        raise ParseRefused(
            f"the page shows {shown} schools ({layout.count!r}) but {len(rows)} were read ({layout.row!r}): "
            "a school's markup differs from the layout, so the list would be read with a school missing",
            url=url,
        )
    linked, foreign = links(doc, layout.pagination, url, layout.page_param)
    # A numbered page the layout's pagination shows but that is not of this list: a sign the list is misread.
    numbered = [t for t in foreign if page_number(t, layout.page_param) > 1]
    pages = {page_number(t, layout.page_param, url): t for t in linked}
    here = page_number(url, layout.page_param)
    return ListPage(
        url=url,
        edition=_edition(doc, layout),
        rows=tuple(rows),
        next_url=next(iter(links(doc, layout.next, url, layout.page_param)[0]), None),
        declared_count=_declared(doc, layout),
        last_group=group,
        layout=layout.name,
        ranks_derived=layout.derives_ranks,
        number=here,
        page_links=tuple(sorted((n, t) for n, t in pages.items() if n != here)),
        page_param=layout.page_param,
        skipped=skipped,
        foreign_pages=tuple(dict.fromkeys(numbered)),
    )


def _looks_truncated(content: bytes) -> bool:
    return re.search(rb"</html\s*>", content[-65536:], re.IGNORECASE) is None


def _key(page: ListPage) -> list[str]:
    return [normalize_name(row.name) for row in page.rows]


_NOT_CSS = ("col:", "re:")  # a field read from a column or by a pattern over the row's text


@cache
def _wanted(layout: Layout) -> Wanted | None:
    """What a layout reads from a page (its marker's fits, then all), or None when only the whole page tells."""
    everywhere = (layout.match, layout.anchor, layout.count, layout.edition, layout.declared, layout.next)
    fits = [needs(s) for s in (*everywhere, layout.pagination) if s]
    region: list[tuple[Fit, ...] | None] = [needs(layout.header)] if layout.header else []
    region.append(None if layout.anchor else needs(layout.row))  # an anchor's row is found upward, not by fits
    if None in region:
        # Rows the selectors cannot place lie within `part`, when the layout gives it.
        region = [*(r for r in region if r is not None), needs(layout.part) if layout.part else None]
    # What is asked inside a row must find there all it looks at (`table a` needs the table, so it is built).
    asked = (layout.school, layout.link, layout.rank, layout.total, layout.city, layout.group_field, layout.criteria)
    within = [
        inner(s) for s in (*asked, layout.criterion_label, layout.criterion_value) if s and not s.startswith(_NOT_CSS)
    ]
    markers = needs(layout.match)
    if markers is None or None in fits or None in region or None in within:
        return None
    return markers, tuple(f for group in (*fits, *region, *within) if group for f in group)


def read_page(doc: Page, candidates: tuple[Layout, ...], url: str, group: str | None) -> ListPage:
    """Read one page with the layout that fits it, or refuse with what each layout did not find."""
    fitting = [c for c in candidates if doc.select_one(c.match) is not None]
    reasons = [f"{c.name}: nothing matches {c.match!r}" for c in candidates if c not in fitting]
    read: list[ListPage] = []
    for candidate in fitting:
        try:
            read.append(read_with(doc, candidate, url, group))
        except ParseRefused as exc:
            if len(fitting) == 1 or doc.partial:
                raise  # the one layout of this page says what is wrong with it; on a part, the whole page will
            reasons.append(f"{candidate.name}: {exc}")
    if not read:
        raise NoLayoutFits(
            "no known layout fits this page, so the site's layout has probably changed. "
            + "; ".join(reasons)
            + ". Describe the new layout in a [[layouts]] table of the config and try it on the saved page with "
            "`watcher parse FILE --layout NAME`",
            url=url,
        )
    for other in read[1:]:
        if _key(other) != _key(read[0]):
            first, second = _key(read[0]), _key(other)
            where = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), None)
            differ = f"they differ at row {where + 1}" if where is not None else "one list is shorter"
            raise ParseRefused(
                f"the layouts {read[0].layout} ({len(first)} schools) and {other.layout} ({len(second)} schools) "
                f"both fit this page but read different lists ({differ}). Keep one: give your layout the name of "
                f'the built-in one it replaces, or set `layout = "NAME"` on the ranking',
                url=url,
            )
    return read[0]


def page_of(text: str, candidates: tuple[Layout, ...], *, whole: bool = False) -> Page:
    """The page as the layouts read it: only the part they read, unless `whole` or a layout needs the whole page."""
    wanted = [_wanted(c) for c in candidates]
    if whole or None in wanted:
        return Page(BeautifulSoup(text, "lxml"))
    return built(text, [w for w in wanted if w is not None])


def parse_list_page(
    content: bytes,
    url: str,
    *,
    encoding: str | None = None,
    group: str | None = None,
    layouts: tuple[Layout, ...] | None = None,
    layout: str | None = None,
) -> ListPage:
    """Read one page of a list with the layout that fits it; `group` carries the previous page's last group."""
    if _looks_truncated(content):
        raise ParseRefused(
            f"the page is truncated: it stops after {len(content):,} bytes without its closing </html>", url=url
        )
    candidates = layouts if layouts is not None else builtin_layouts()
    if layout is not None:
        candidates = tuple(c for c in candidates if c.name == layout)
        if not candidates:
            names = ", ".join(c.name for c in (layouts or builtin_layouts()))
            raise ParseRefused(f"there is no layout named {layout!r} (the layouts are: {names})", url=url)
    text = decode(content, encoding, url)
    doc = page_of(text, candidates)
    if doc.partial:
        try:
            return read_page(doc, candidates, url, group)
        except ParseRefused:
            doc = page_of(text, candidates, whole=True)  # what the part left out may be what decides: read it all
    return read_page(doc, candidates, url, group)
