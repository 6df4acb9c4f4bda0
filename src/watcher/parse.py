"""L'Étudiant list pages (bytes) → `Snapshot`, behind a sanity gate that refuses implausible reads.

The page structure is described in the project README ("What happens in a check"). Where the real
format is unknown (rank text, which columns sit between rank and total, how a long list is split),
the parser accepts every variant seen on ranking sites and refuses anything it would have to guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from .errors import ParseRefused
from .model import Row, Snapshot, normalize_name

TABLE_SELECTOR = "table.c-pmd-table"
MIN_ROWS = 10

_RANK = re.compile(r"^\s*=?\s*#?\s*(\d{1,4})\s*(?:er|re|ère|e|ème|eme|è)?(?:\W|$)", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d)[ \u202f\xa0](?=\d{3}(?!\d))")
_UNRANKED = {"nc", "n c", "non classe", "non classee", "non classees", "hors classement"}
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_GROUP = re.compile(r"\bgroupe\s+([A-E]\+?)(?![\w'’+])", re.IGNORECASE)
_YEAR = re.compile(r"\b(20\d\d)\b")
_DECLARED = re.compile(r"classe\s+(\d{2,4})\s+[ée]coles", re.IGNORECASE)
_SLUG = re.compile(r"/palmares/[^?#]*?/([a-z0-9][a-z0-9\-]*)\.html$")
_NEXT_TEXT = re.compile(r"suivant|next|^\s*[›»>]\s*$", re.IGNORECASE)

# Header labels (folded) that identify the columns we need; anything else is a criterion.
_RANK_LABELS = ("rang", "classement", "#")
_SCHOOL_LABELS = ("ecole", "etablissement")
_TOTAL_LABELS = ("note", "total")
_CITY_LABELS = ("ville", "localisation", "lieu")


@dataclass(frozen=True, slots=True)
class ListPage:
    """What one page of a list holds, before the pages are put together."""

    url: str
    edition: int | None
    rows: tuple[Row, ...]
    next_url: str | None
    declared_count: int | None
    last_group: str | None


@dataclass(frozen=True, slots=True)
class _Columns:
    rank: int
    school: int
    total: int
    city: int | None
    criteria: tuple[tuple[int, str], ...]
    width: int


def _text(tag: Tag) -> str:
    string = tag.string  # a cell holding one text node (the usual case) needs no tree walk
    text = string if type(string) is NavigableString else tag.get_text(" ", strip=True)  # not a comment
    return " ".join(text.split())


def french_number(text: str) -> float | None:
    """'12,5' → 12.5; '45,2/63' → 45.2; '1 234,5' → 1234.5; 'NC', '-' or '' → None."""
    text = _THOUSANDS.sub("", text.replace("\u2212", "-"))
    match = _NUMBER.search(text)
    return float(match.group().replace(",", ".")) if match else None


def _cells(tr: Tag) -> list[Tag]:
    return [c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]


def _links(root: Tag) -> list[Tag]:
    return [a for a in root.descendants if isinstance(a, Tag) and a.name == "a"]


def _strong_link(tr: Tag) -> Tag | None:
    return next((a for a in _links(tr) if "u-typo-strong" in (a.get("class") or ())), None)


def _span(cell: Tag, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr) or 1)), 50))
    except ValueError:
        return 1


def _header_labels(header_rows: list[Tag]) -> list[list[str]]:
    """Each column's labels from top to bottom, honouring colspan and rowspan."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(header_rows):
        c = 0
        for cell in _cells(tr):
            while (r, c) in grid:
                c += 1
            text = _text(cell)
            for dr in range(_span(cell, "rowspan")):
                for dc in range(_span(cell, "colspan")):
                    grid[(r + dr, c + dc)] = text
            c += _span(cell, "colspan")
    width = max((c for _, c in grid), default=-1) + 1
    columns: list[list[str]] = []
    for c in range(width):
        labels: list[str] = []
        for r in range(len(header_rows)):
            label = grid.get((r, c), "")
            if label and label not in labels:
                labels.append(label)
        columns.append(labels)
    return columns


def _find_columns(labels: list[list[str]], where: str) -> _Columns:
    def find(words: tuple[str, ...]) -> int | None:
        for index, column in enumerate(labels):
            if any(normalize_name(label).startswith(words) or label.strip() in words for label in column):
                return index
        return None

    rank, school, total = find(_RANK_LABELS), find(_SCHOOL_LABELS), find(_TOTAL_LABELS)
    missing = [name for name, col in (("Rang", rank), ("École", school), ("Note", total)) if col is None]
    if rank is None or school is None or total is None:
        seen = " | ".join(" / ".join(col) or "(empty)" for col in labels)
        raise ParseRefused(
            f"the ranking table's headers are not the expected ones: no column for {', '.join(missing)}; "
            f"headers found: {seen}. The page layout has probably changed",
            url=where,
        )
    city = find(_CITY_LABELS)
    known = {rank, school, total, city}
    criteria = tuple((i, col[-1]) for i, col in enumerate(labels) if i not in known and col)
    return _Columns(rank, school, total, city, criteria, len(labels))


def _own_rows(table: Tag) -> list[tuple[Tag, Tag | None]]:
    """The table's own rows (not those of nested tables), each with its thead when it is in one."""
    out: list[tuple[Tag, Tag | None]] = []
    for child in table.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "tr":
            out.append((child, None))
        elif child.name in ("thead", "tbody", "tfoot"):
            section = child if child.name == "thead" else None
            out.extend((tr, section) for tr in child.children if isinstance(tr, Tag) and tr.name == "tr")
    return out


def _split_rows(table: Tag) -> tuple[list[Tag], list[Tag]]:
    owned = _own_rows(table)
    rows = [tr for tr, _ in owned]
    thead = next((s for _, s in owned if s is not None), None)
    if isinstance(thead, Tag):
        head = [tr for tr, s in owned if s is thead]
    else:
        head = []
        for tr in rows:
            cells = _cells(tr)
            if not cells or any(c.name != "th" for c in cells):
                break
            head.append(tr)
    in_head = {id(tr) for tr in head}  # Tag equality compares content, so compare identities
    return head, [tr for tr in rows if id(tr) not in in_head]


def _expand(cells_: list[Tag]) -> list[Tag]:
    out: list[Tag] = []
    for cell in cells_:
        out.extend([cell] * _span(cell, "colspan"))
    return out


def _slug(href: str) -> str | None:
    match = _SLUG.search(urlsplit(href).path)
    return match.group(1) if match else None


def _row(tr: Tag, own: list[Tag], link: Tag | None, cols: _Columns, group: str | None, where: str) -> Row | None:
    cells = _expand(own)
    link = link or (cells[cols.school].find("a") if len(cells) > cols.school else None)
    rank_text = _text(cells[cols.rank]) if len(cells) > cols.rank else ""
    rank_match = _RANK.match(rank_text)
    if link is None and rank_match is None:
        return None  # an ad, spacer or heading row, not a school
    if len(cells) != cols.width:
        raise ParseRefused(
            f"a school row has {len(cells)} cells where the headers have {cols.width} columns: {_text(tr)[:120]!r}",
            url=where,
        )
    if rank_match is None:
        if normalize_name(rank_text) in _UNRANKED:
            return None  # listed but explicitly not ranked ("NC", "non classée"): not part of the ranking
        raise ParseRefused(f"a school row has no readable rank: {rank_text!r} in {_text(tr)[:120]!r}", url=where)
    name = _text(link) if isinstance(link, Tag) else _text(cells[cols.school])
    if not name:
        raise ParseRefused(f"the school row ranked {rank_text!r} has no school name", url=where)
    return Row(
        rank=int(rank_match.group(1)),
        name=name,
        slug=_slug(str(link.get("href", ""))) if isinstance(link, Tag) else None,
        city=(_text(cells[cols.city]) or None) if cols.city is not None else None,
        scores=tuple((label, french_number(_text(cells[i]))) for i, label in cols.criteria),
        total=french_number(_text(cells[cols.total])),
        group=group,
    )


@dataclass(frozen=True, slots=True)
class _Landmarks:
    """The few elements the parser looks for, found in one walk over the page (not one walk each)."""

    headings: list[Tag]
    tables: list[Tag]
    links: list[Tag]
    title: Tag | None


def _landmarks(soup: BeautifulSoup) -> _Landmarks:
    found: dict[str, list[Tag]] = {"h1": [], "table": [], "a": [], "title": []}
    for element in soup.descendants:
        if type(element) is Tag and element.name in found:
            found[element.name].append(element)
    return _Landmarks(
        found["h1"], found["table"], [a for a in found["a"] if a.get("href")], next(iter(found["title"]), None)
    )


def _edition(marks: _Landmarks) -> int | None:
    for tag in [*marks.headings, marks.title]:
        if isinstance(tag, Tag) and "palmar" in normalize_name(_text(tag)):
            match = _YEAR.search(_text(tag))
            if match:
                return int(match.group(1))
    return None


def _same_list(candidate: str, url: str) -> bool:
    """A next page of this list: same path with another query, or the path with a page number."""
    here, there = urlsplit(url).path, urlsplit(candidate).path
    stem = here.removesuffix(".html")
    return there == here or re.fullmatch(re.escape(stem) + r"[-_/]?(?:page[-_]?)?\d+(?:\.html)?", there) is not None


def _next_url(links: list[Tag], url: str) -> str | None:
    """The list's next page: a rel="next" link, else a "suivant"/"›" link that stays within this list."""
    link = next((a for a in links if "next" in (a.get("rel") or ())), None)
    if isinstance(link, Tag):
        return urljoin(url, str(link["href"])).split("#", 1)[0]
    for a in links:
        if _NEXT_TEXT.search(a.string if type(a.string) is NavigableString else a.get_text()):
            target = urljoin(url, str(a["href"])).split("#", 1)[0]
            if target != url and _same_list(target, url):
                return target
    return None


def _looks_truncated(content: bytes) -> bool:
    return re.search(rb"</html\s*>", content[-65536:], re.IGNORECASE) is None


def parse_list_page(content: bytes, url: str, *, encoding: str | None = None, group: str | None = None) -> ListPage:
    """Read one page of a list; `group` carries the last group heading of the previous page."""
    if _looks_truncated(content):
        raise ParseRefused(
            f"the page is truncated: it stops after {len(content):,} bytes without its closing </html>",
            url=url,
        )
    soup = BeautifulSoup(content, "lxml", from_encoding=encoding)
    marks = _landmarks(soup)
    table = next((t for t in marks.tables if "c-pmd-table" in (t.get("class") or ())), None)
    if table is None:
        raise ParseRefused(
            f"no ranking table ({TABLE_SELECTOR}) on the page: the page layout has probably changed", url=url
        )
    head, body = _split_rows(table)
    if not head:
        raise ParseRefused("the ranking table has no header row: the page layout has probably changed", url=url)
    cols = _find_columns(_header_labels(head), url)
    rows: list[Row] = []
    for tr in body:
        cells = _cells(tr)
        link = _strong_link(tr)
        if len(cells) < cols.width:
            heading = _GROUP.search(_text(tr) + " ")
            if heading and link is None:
                group = heading.group(1).upper()
                continue
        row = _row(tr, cells, link, cols, group, url)
        if row is not None:
            rows.append(row)
    if not rows:
        raise ParseRefused("the ranking table has no school rows (empty table)", url=url)
    # The count ("classe 168 écoles") is in the introduction, before the table.
    intro = next(filter(None, (_DECLARED.search(_text(p)) for p in table.find_all_previous("p", limit=5))), None)
    return ListPage(
        url=url,
        edition=_edition(marks),
        rows=tuple(rows),
        next_url=_next_url(marks.links, url),
        declared_count=int(intro.group(1)) if intro else None,
        last_group=group,
    )


def _check_ranks(rows: Sequence[Row], where: str) -> tuple[Row, ...]:
    """Competition ranking (1, 2, 2, 4): a rank repeats the previous one or equals its position.

    Ex aequo is read from the ranks themselves, not from the words next to them.
    """
    for position, row in enumerate(rows, start=1):
        previous = rows[position - 2] if position > 1 else None
        if (previous is not None and row.rank == previous.rank) or row.rank == position:
            continue
        after = f"after {previous.name} ({previous.rank})" if previous else "at the top of the list"
        if any(later.rank < row.rank for later in rows[position:]) or row.rank < position:
            problem = "ranks are out of order"
        else:
            problem = "rows are missing (a truncated page, or a page of the list that was not read)"
        raise ParseRefused(
            f"{after}, {row.name} is ranked {row.rank} where {position} was expected: {problem}", url=where
        )
    shared = {rank for rank, count in Counter(r.rank for r in rows).items() if count > 1}
    return tuple(replace(r, tied=r.rank in shared) for r in rows)


def assemble(pages: Sequence[ListPage], *, ranking: str, fetched_at: datetime, min_rows: int = MIN_ROWS) -> Snapshot:
    """Join the pages of one list into a `Snapshot`, or refuse it with the reason and the page."""
    where = pages[0].url
    rows = [row for page in pages for row in page.rows]
    if not rows:
        raise ParseRefused("the ranking table has no school rows (empty table)", url=where)
    if len(rows) < min_rows:
        raise ParseRefused(
            f"only {len(rows)} schools read, fewer than the {min_rows} expected (at least {MIN_ROWS}, and at least "
            "half of the last list)",
            url=where,
        )
    editions = {page.edition for page in pages}
    if None in editions:
        bad = next(p.url for p in pages if p.edition is None)
        raise ParseRefused("no edition year in the page's title (expected 'Palmarès 2021 ...')", url=bad)
    if len(editions) > 1:
        raise ParseRefused(f"the pages of one list name different editions: {sorted(editions)}", url=where)  # type: ignore[type-var]
    checked = _check_ranks(rows, where)
    seen: dict[str, Row] = {}
    for row in checked:
        if row.key in seen:
            raise ParseRefused(
                f"{row.name} appears twice (ranks {seen[row.key].rank} and {row.rank}): a page was probably read twice",
                url=where,
            )
        seen[row.key] = row
    if pages[-1].next_url:
        raise ParseRefused(
            f"the list goes on at {pages[-1].next_url}, but that page was not read: a page of the list is missing",
            url=pages[-1].url,
        )
    declared = next((p.declared_count for p in pages if p.declared_count), None)
    if declared is not None and declared != len(checked):
        raise ParseRefused(
            f"the page says {declared} schools are ranked but {len(checked)} were read over "
            f"{len(pages)} page(s): a page of the list is missing or truncated",
            url=where,
        )
    return Snapshot(
        ranking=ranking,
        url=where,
        edition=next(iter(editions)),  # type: ignore[arg-type]
        rows=checked,
        fetched_at=fetched_at,
        pages=tuple(page.url for page in pages),
    )
