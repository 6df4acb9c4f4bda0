"""Put the pages of one list together, and refuse the list unless it is whole and plausible.

A list is whole when every page its pagination shows and every next link was read, its ranks follow
one another without a gap, no school appears twice, and its count matches the count the page declares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from watcher.errors import ParseRefused
from watcher.layouts.spec import Layout
from watcher.model import Row, Snapshot

if TYPE_CHECKING:
    from watcher.layouts.engine import ListPage

MIN_ROWS = 10
# Counts said in words are off by one at times (the press counted 167 where L'Étudiant said 168): a warning, not
# a refusal. A page or more missing is twenty schools, not one.
DECLARED_TOLERANCE = 1


def _page_url(first: str, param: str, number: int) -> str:
    parts = urlsplit(first)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != param] + [(param, str(number))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def next_to_read(pages: Sequence[ListPage]) -> str | None:
    """The next page of the list still to read (a next link, then each numbered page up to the last shown)."""
    read_urls = {page.url for page in pages}
    read_numbers = {page.number for page in pages}
    if pages[-1].next_url and pages[-1].next_url not in read_urls:
        return pages[-1].next_url
    shown = {n: url for page in pages for n, url in page.page_links}
    for number in range(1, max([*shown, *read_numbers]) + 1):
        if number not in read_numbers:
            return shown.get(number) or _page_url(pages[0].url, pages[0].page_param, number)
    return None


def read_saved(
    contents: Sequence[bytes],
    file_urls: Sequence[str],
    *,
    first_url: str | None = None,
    layouts: tuple[Layout, ...] | None = None,
    layout: str | None = None,
    encodings: Sequence[str | None] = (),
) -> list[ListPage]:
    """Saved pages of one list, in order. When the first page's real address is known, each later page is
    taken as the one the list expects next, so its pagination can prove the list whole."""
    from watcher.layouts.engine import parse_list_page  # the HTML parser, only once there are pages to read

    pages: list[ListPage] = []
    for i, content in enumerate(contents):
        url = file_urls[i]
        if first_url:
            url = first_url if i == 0 else (next_to_read(pages) or url)
        group = pages[-1].last_group if pages else None
        chosen = layout or (pages[0].layout if pages else None)
        encoding = encodings[i] if i < len(encodings) else None
        page = parse_list_page(content, url, encoding=encoding, group=group, layouts=layouts, layout=chosen)
        if i == 0 and not first_url and page.foreign_pages:
            # A saved page's links to its other pages give the list's own address (path and filters): read it
            # as that address, so its pagination can prove the saved pages whole.
            first_url = _without_page(page.foreign_pages[0], page.page_param)
            page = parse_list_page(content, first_url, encoding=encoding, group=group, layouts=layouts, layout=chosen)
        pages.append(page)
    return pages


def _without_page(url: str, param: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != param]
    return urlunsplit(parts._replace(query=urlencode(query)))


def derive_ranks(rows: Sequence[Row], where: str = "") -> tuple[Row, ...]:
    """Ranks from the list order where the page shows none: equal totals share a rank (1, 2, 2, 4).

    The order is the ranking only if the notes never rise down the list: a list that breaks this is refused.
    """
    out: list[Row] = []
    for position, row in enumerate(rows, start=1):
        previous = out[-1] if out else None
        if previous and row.total is not None and previous.total is not None and row.total > previous.total:
            raise ParseRefused(
                f"{row.name} ({row.total:g}) comes after {previous.name} ({previous.total:g}) with a higher note: "
                "the list is not in the order of its notes (pages out of order, or sorted otherwise), so ranks "
                "cannot be derived from it",
                url=where or None,
            )
        same = previous is not None and row.total is not None and row.total == previous.total
        out.append(replace(row, rank=previous.rank if same and previous else position))
    return tuple(out)


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


def _check_whole(pages: Sequence[ListPage]) -> None:
    foreign = next((page for page in pages if page.foreign_pages), None)
    if foreign is not None:
        raise ParseRefused(
            f"the list's pagination links to {foreign.foreign_pages[0]}, which is not another page of this list as "
            "watcher understands it, so it cannot prove the list whole. For saved pages, give the address the first "
            "one came from (--url); otherwise the site's pagination has changed: adjust the layout's `pagination`",
            url=foreign.url,
        )
    missing = next_to_read(pages)
    if missing is None:
        return
    shown = max([n for page in pages for n, _ in page.page_links] + [page.number for page in pages])
    where = pages[-1].url
    if pages[-1].next_url == missing:
        raise ParseRefused(
            f"the list goes on at {missing}, but that page was not read: a page of the list is missing", url=where
        )
    raise ParseRefused(
        f"the list's pagination shows {shown} pages, but {missing} was not read: a page of the list is missing",
        url=where,
    )


def assemble(pages: Sequence[ListPage], *, ranking: str, fetched_at: datetime, min_rows: int = MIN_ROWS) -> Snapshot:
    """Join the pages of one list into a `Snapshot`, or refuse it with the reason and the page."""
    try:
        return _assemble(pages, ranking=ranking, fetched_at=fetched_at, min_rows=min_rows)
    except ParseRefused as exc:
        skipped = sum(page.skipped for page in pages)
        if not skipped:
            raise
        rows = "1 row that is not a school was" if skipped == 1 else f"{skipped} rows that are not schools were"
        raise ParseRefused(
            f"{exc.reason} ({rows} skipped: adverts, banners or markup the layout does not know)", url=exc.url
        ) from exc


def _assemble(pages: Sequence[ListPage], *, ranking: str, fetched_at: datetime, min_rows: int) -> Snapshot:
    where = pages[0].url
    rows = [row for page in pages for row in page.rows]
    if not rows:
        raise ParseRefused("the ranking table has no school rows (empty table)", url=where)
    if len(rows) < min_rows:
        raise ParseRefused(
            f"only {len(rows)} schools read, fewer than the {min_rows} expected (at least {MIN_ROWS}, and at least "
            "four fifths of the last list): a page of the list was probably not read",
            url=where,
        )
    layouts = sorted({page.layout for page in pages})
    if len(layouts) > 1:
        raise ParseRefused(f"the pages of one list are in different layouts ({', '.join(layouts)})", url=where)
    editions = {page.edition for page in pages}
    if None in editions:
        bad = next(p.url for p in pages if p.edition is None)
        raise ParseRefused(
            "no edition year in the page's title or heading (expected 'Classement 2026 des écoles …' "
            "or 'Palmarès 2021 …')",
            url=bad,
        )
    if len(editions) > 1:
        raise ParseRefused(f"the pages of one list name different editions: {sorted(editions)}", url=where)  # type: ignore[type-var]
    derived = pages[0].ranks_derived
    checked = derive_ranks(rows, where) if derived else rows
    checked = _check_ranks(checked, where)
    seen: dict[str, Row] = {}
    for row in checked:
        if row.key in seen:
            raise ParseRefused(
                f"{row.name} appears twice (ranks {seen[row.key].rank} and {row.rank}): a page was probably read twice",
                url=where,
            )
        seen[row.key] = row
    _check_whole(pages)
    declared = next((p.declared_count for p in pages if p.declared_count), None)
    if declared is not None and abs(declared - len(checked)) > DECLARED_TOLERANCE:
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
        ranks_derived=derived,
        layout=layouts[0],
        declared_count=declared,
    )
