"""What the network says of one ranking now: its list read whole (confirmed when someone leaves it), the school
pages due, the lists its page links to, or why it cannot be trusted. Wiring: the fetcher meets the layouts here.

A list that cannot be read whole is a failure, never a shorter list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from watcher.config import Config, RankingConfig
from watcher.errors import FetchError, NoLayoutFits, ParseRefused
from watcher.layouts import assemble
from watcher.layouts.plausible import check_against, min_rows
from watcher.model import CheckWarning, Known, PageAsk, Reading, Row, SchoolPage, Snapshot, Validators
from watcher.news.doubts import leaving
from watcher.news.identity import find_school
from watcher.news.series import previous_check
from watcher.pages.fetch import Fetcher, Page
from watcher.pages.hosts import redacted
from watcher.pages.lists import first_page, read_list

T = TypeVar("T")
log = logging.getLogger("watcher.check")
DISCOVER_EVERY = timedelta(hours=23)  # an unchanged page is asked for its links once a day


class Offload(Protocol):
    """Runs a heavy step of a check (reading pages with content, writing alerts) and returns what it returns."""

    def __call__(self, step: Callable[[], T], /) -> T: ...


def here(step: Callable[[], T]) -> T:
    """In this process: `watcher check` ends with its check (the daemon runs these steps apart, `watcher.apart`)."""
    return step()


def _read_whole(
    ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, at: datetime, first: Page | None = None
) -> tuple[Snapshot, tuple[Validators, ...]]:
    """Read one list whole from its first page (asked for afresh when not given), or raise why it cannot be
    trusted."""
    previous = previous_check(known.snapshots)
    browser = config.uses_browser(ranking)
    first = first or fetcher.get(ranking.url, browser=browser)
    pages, parsed = read_list(
        fetcher, first, config.fetch.max_pages, config.site_layouts, ranking.layout, browser=browser
    )
    snapshot = assemble(parsed, ranking=ranking.name, fetched_at=at, min_rows=min_rows(previous))
    if previous is not None:
        check_against(previous, snapshot, redacted(ranking.url))
    return snapshot, tuple(p.validators for p in pages)


def _confirm(ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, snapshot: Snapshot) -> int:
    """How many whole reads agree: 2 once a second, fresh read agrees with a list some school seems to have left."""
    gone = leaving(previous_check(known.snapshots), snapshot, config.school)
    if not gone:
        return 1
    who = ", ".join(gone)
    try:
        again, _ = _read_whole(ranking, config, known, fetcher, snapshot.fetched_at)
    except (ParseRefused, FetchError) as exc:
        raise ParseRefused(
            f"{who} seemed to have left the list, but the second read that must confirm it failed, so nothing "
            f"was recorded and the next check reads the list again: {exc}",
            url=redacted(ranking.url),
        ) from exc
    if again.content_hash != snapshot.content_hash:
        raise ParseRefused(
            f"{who} seemed to have left the list, but a second whole read a moment later gave another list, so "
            "nothing was recorded and the next check reads the list again",
            url=redacted(ranking.url),
        )
    return 2


def _page_url(ranking: RankingConfig, row: Row) -> str:
    """The list's own link to the school's page; a row stored before links were kept: the palmarès address."""
    if row.link:
        return row.link
    from watcher.layouts.school import school_page_url

    return school_page_url(ranking.url, str(row.slug))


def _school_pages(
    ranking: RankingConfig,
    config: Config,
    known: Known,
    fetcher: Fetcher,
    at: datetime,
    offload: Offload,
    read: Reading | None = None,
) -> Reading:
    """What the list's read gave (nothing new when it answered 304), with the watched school's and peers' own pages:
    those due (`PageAsk.due`) are asked for, and one that cannot be read is only a warning."""
    read = read or Reading()
    previous = previous_check(known.snapshots)
    current = read.snapshot or previous
    assert current is not None  # a 304 is only possible after a first snapshot
    changed = read.snapshot is not None and (previous is None or read.snapshot.content_hash != previous.content_hash)
    rows = [find_school(current, s) for s in (config.school, *config.school.peer_configs())]
    pages, validators, warnings, asks = [], list(read.validators), [], []
    browser = config.uses_browser(ranking)
    for row in rows:
        if row is None or (row.slug is None and row.link is None):
            continue
        url = _page_url(ranking, row)
        key = f"school-page:{row.bare_name}"
        last = known.asks.get(redacted(url))
        if last is not None and not last.due(at, list_changed=changed):
            if last.warning:  # still true, and said again so that ops, told of each warning once, are not told twice
                warnings.append(CheckWarning(key, last.warning))
            continue
        seen = any(p.slug == row.page_key for p in known.school_pages)
        status: int | None = None
        try:
            remembered = None if browser or not seen else known.validators.get(redacted(url))
            page = fetcher.get(url, remembered, browser=browser, within=ranking.url)
            status = page.status
            if page.not_modified:
                asks.append(PageAsk(redacted(url), at, status))
                continue
            pages.append(offload(partial(_school_page, page, url, row.page_key, current.edition, at)))
        except (FetchError, ParseRefused) as exc:
            text = f"the page of {row.bare_name} could not be read, so its indicators are not compared: {exc}"
            warnings.append(CheckWarning(key, text))
            status = exc.status if isinstance(exc, FetchError) else status
            if status is not None:  # the server answered (404, say); no answer at all is asked again next time
                asks.append(PageAsk(redacted(url), at, status, text))
            continue
        asks.append(PageAsk(redacted(url), at, page.status))
        validators.append(page.validators)
    return replace(
        read, validators=tuple(validators), school_pages=tuple(pages), warnings=tuple(warnings), asks=tuple(asks)
    )


def _school_page(page: Page, url: str, slug: str, edition: int, at: datetime) -> SchoolPage:
    from watcher.layouts.school import parse_school_page

    return parse_school_page(page.content, url, slug=slug, edition=edition, fetched_at=at, encoding=page.encoding)


def _propose(
    ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, at: datetime, first: Page
) -> str | None:
    """When no layout fits `first` (the list's first page, as read): a layout inferred from the last whole list and
    checked on the list's pages, as the text ops receive; None when there is no last list or nothing whole and
    plausible can be inferred."""
    from watcher.layouts.infer import ListCopy, propose
    from watcher.layouts.infer import render as render_proposal
    from watcher.pages.lists import numbered_pages

    previous = previous_check(known.snapshots)
    if previous is None:
        return None
    try:
        # The page no layout fitted, not a fresh copy: a site switching back meanwhile would be taken for new markup.
        pages = [ListCopy(first.content, first.url, first.encoding)]
        # The other pages of the list, by their numbered links (the layout that would find them is what is sought).
        for url in numbered_pages(first.content, first.url, first.encoding, config.fetch.max_pages):
            page = fetcher.get(url, browser=config.uses_browser(ranking), within=ranking.url)
            pages.append(ListCopy(page.content, page.url, page.encoding))
        taken = [layout.name for layout in config.site_layouts]
        return render_proposal(propose(pages, previous, config.school.name, taken=taken, at=at))
    except (FetchError, ParseRefused) as exc:  # no proposal: the refusal itself reaches ops as a failing check
        log.warning("no layout could be proposed for %s: %s", ranking.name, exc)
        return None


def observe(
    ranking: RankingConfig,
    config: Config,
    known: Known,
    fetcher: Fetcher,
    at: datetime,
    offload: Offload = here,
    discover: bool = False,
) -> Reading:
    """Everything the network says of one ranking now: the list read whole (confirmed when someone leaves it) and
    the school pages; a list that cannot be read whole is a failure, never a shorter list."""
    previous = previous_check(known.snapshots)
    try:
        first = first_page(fetcher, ranking.url, previous, known.validators, config.uses_browser(ranking))
    except FetchError as exc:
        return Reading(failure="failed", error=str(exc))
    if first is not None:  # the list's pages have content: read apart, with the parser
        return offload(lambda: _read_content(ranking, config, known, fetcher, at, first, discover))
    found = known.state.discovered_at if known.state else None
    if discover and (found is None or at - found >= DISCOVER_EVERY):
        # An unchanged page still shows its links: collected once a day, so that lists found on an install that
        # already had the page are watched before the next edition, not first read (as a baseline) on its day.
        return _school_pages(ranking, config, known, fetcher, at, offload, _discover(ranking, config, fetcher))
    return _school_pages(ranking, config, known, fetcher, at, offload)


def _discover(ranking: RankingConfig, config: Config, fetcher: Fetcher) -> Reading | None:
    """The lists the first page links to, from one plain request (its body is needed); None when it fails."""
    from watcher.layouts.related import related_lists

    try:
        page = fetcher.get(ranking.url, browser=config.uses_browser(ranking))
        return Reading(related=related_lists(page.content, page.url, page.encoding))
    except (FetchError, ParseRefused) as exc:
        log.warning("the lists linked from %s could not be collected now: %s", ranking.name, exc)
        return None


def _read_content(
    ranking: RankingConfig,
    config: Config,
    known: Known,
    fetcher: Fetcher,
    at: datetime,
    first: Page,
    discover: bool = False,
) -> Reading:
    try:
        snapshot, validators = _read_whole(ranking, config, known, fetcher, at, first)
        confirmed = _confirm(ranking, config, known, fetcher, snapshot)
    except NoLayoutFits as exc:
        return Reading(failure="refused", error=str(exc), proposal=_propose(ranking, config, known, fetcher, at, first))
    except ParseRefused as exc:
        return Reading(failure="refused", error=str(exc))
    except FetchError as exc:
        return Reading(failure="failed", error=str(exc))
    related = None
    if discover:  # the lists this page links to, by their addresses, read from the whole page
        from watcher.layouts.related import related_lists

        related = related_lists(first.content, first.url, first.encoding)
    read = Reading(snapshot, validators, confirmed_reads=confirmed, related=related)
    return _school_pages(ranking, config, known, fetcher, at, here, read)
