"""One check: fetch → parse → store snapshot → diff → rules → render → outbox, then deliver.

The edges (fetcher, store, mailer, clock) are passed in. This module wires them to the pure stages
(parse, diff, rules, render); it is the one place where reading the network and the database meets them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from .chart import rank_chart_png
from .config import Config, RankingConfig
from .diff import diff
from .errors import FetchError, ParseRefused, WatcherError
from .fetch import Fetcher, Page
from .layouts import Layout, ListPage, assemble, next_to_read, parse_list_page
from .layouts.plausible import check_against, min_rows, was_partial
from .mail import Mailer
from .model import Alert, CheckOutcome, Row, SchoolPage, Snapshot, Validators
from .ops import after_check, render_notice
from .outbox import Delivery, deliver_pending
from .render import render_alert
from .rules import alerts_for, find_school
from .school import indicator_changes, parse_school_page, school_page_url
from .store import Store

Clock = Callable[[], datetime]
log = logging.getLogger("watcher.check")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check of one ranking found."""

    ranking: str
    outcome: CheckOutcome
    snapshot: Snapshot | None = None
    school_row: Row | None = None
    alerts: tuple[EmailMessage, ...] = ()
    error: str | None = None
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome not in ("refused", "failed")


@dataclass(frozen=True, slots=True)
class RunResult:
    """A check of every ranking, then one pass over the outbox."""

    checks: tuple[CheckResult, ...]
    delivery: Delivery

    @property
    def exit_code(self) -> int:
        return 0 if all(c.ok for c in self.checks) else 1


def read_list(
    fetcher: Fetcher,
    first: Page,
    max_pages: int,
    layouts: tuple[Layout, ...],
    layout: str | None = None,
    *,
    pages: list[Page] | None = None,
    browser: bool = False,
) -> tuple[list[Page], list[ListPage]]:
    """Parse the first page, then every page its pagination or next links show, until the list ends.

    `pages` receives each page as it is fetched, so a caller keeps them even when the list is refused.
    """
    pages = pages if pages is not None else []
    pages.append(first)
    parsed = [parse_list_page(first.content, first.url, encoding=first.encoding, layouts=layouts, layout=layout)]
    while (url := next_to_read(parsed)) is not None:
        if url in {p.url for p in pages} or len(pages) >= max_pages:
            raise ParseRefused(
                f"the list's pages go round in a loop or past {max_pages} pages (at {url})",
                url=first.url,
            )
        try:
            page = fetcher.get(url, browser=browser)
        except FetchError as exc:
            raise FetchError(
                f"page {len(pages) + 1} of the list could not be fetched, so the list was not read whole "
                f"and nothing was recorded: {exc}",
                url=url,
                status=exc.status,
            ) from exc
        pages.append(page)
        parsed.append(
            parse_list_page(
                page.content,
                page.url,
                encoding=page.encoding,
                group=parsed[-1].last_group,
                layouts=layouts,
                layout=layout or parsed[0].layout,
            )
        )
    return pages, parsed


def _fetch_changed(
    fetcher: Fetcher, store: Store, url: str, previous: Snapshot | None, browser: bool = False
) -> Page | None:
    """The first page, or None when every page of the list answered 304 Not Modified."""
    if browser:  # a rendered page cannot be asked for conditionally
        return fetcher.get(url, browser=True)
    first = fetcher.get(url, store.validators(url) if previous else None)
    if not first.not_modified:
        return first
    assert previous is not None
    for other in previous.pages[1:]:
        if not fetcher.get(other, store.validators(other)).not_modified:
            # Another page changed: the list must be read whole, from a fresh first page.
            return fetcher.get(url)
    return None


@dataclass(frozen=True, slots=True)
class _Writes:
    """What a check learnt beyond its fetch log, to be written with it."""

    snapshot: Snapshot | None = None
    validators: tuple[Validators, ...] = ()
    alerts: tuple[EmailMessage, ...] = ()
    school_pages: tuple[SchoolPage, ...] = ()


def _read_school_pages(
    ranking: RankingConfig, config: Config, store: Store, fetcher: Fetcher, snapshot: Snapshot, at: datetime
) -> tuple[list[SchoolPage], list[Validators], list[str]]:
    """The watched school's and peers' own pages that changed since last read; a failure is only a warning."""
    rows = [find_school(snapshot, s) for s in (config.school, *config.school.peer_configs())]
    new_pages, validators, warnings = [], [], []
    browser = config.uses_browser(ranking)
    for row in rows:
        if row is None or (row.slug is None and row.link is None):
            continue
        # The list's own link; a row stored before links were kept falls back to the palmarès address.
        url = row.link or school_page_url(ranking.url, str(row.slug))
        latest = store.latest_school_page(row.page_key)
        try:
            page = fetcher.get(url, None if browser or not latest else store.validators(url), browser=browser)
            if page.not_modified:
                continue
            parsed = parse_school_page(
                page.content,
                url,
                slug=row.page_key,
                edition=snapshot.edition,
                fetched_at=at,
                encoding=page.encoding,
            )
        except (FetchError, ParseRefused) as exc:
            warnings.append(f"the page of {row.bare_name} could not be read, so its indicators are not compared: {exc}")
            continue
        validators.append(page.validators)
        if latest is None or latest.content_hash != parsed.content_hash or latest.edition != parsed.edition:
            new_pages.append(parsed)
    return new_pages, validators, warnings


def _with_indicators(alert: Alert, store: Store, new_pages: list[SchoolPage]) -> Alert:
    """The alert, plus the school page's indicators that changed since the previous edition."""
    row = alert.new_row or alert.old_row
    if row is None:
        return alert
    current = next((p for p in new_pages if p.slug == row.page_key), None) or store.latest_school_page(row.page_key)
    before = store.latest_school_page(row.page_key, before_edition=alert.new_edition)
    if current is None or before is None:
        return alert
    return replace(alert, indicators=indicator_changes(before, current))


def _read_whole(
    ranking: RankingConfig,
    config: Config,
    store: Store,
    fetcher: Fetcher,
    previous: Snapshot | None,
    fetched_at: datetime,
    *,
    conditional: bool = True,
) -> tuple[Snapshot | None, tuple[Validators, ...]]:
    """Fetch and read one list whole (None when every page answered 304), or raise why it cannot be trusted."""
    browser = config.uses_browser(ranking)
    first = (
        _fetch_changed(fetcher, store, ranking.url, previous, browser)
        if conditional
        else fetcher.get(ranking.url, browser=browser)
    )
    if first is None:
        return None, ()
    pages, parsed = read_list(
        fetcher, first, config.fetch.max_pages, config.site_layouts, ranking.layout, browser=browser
    )
    snapshot = assemble(parsed, ranking=ranking.name, fetched_at=fetched_at, min_rows=min_rows(previous))
    if previous is not None:
        check_against(previous, snapshot, ranking.url)
    return snapshot, tuple(p.validators for p in pages)


def _leaves(alert: Alert) -> bool:
    """Whether an alert tells of the school or a peer no longer in the list."""
    return alert.kind == "left" or any(p.old is not None and p.new is None for p in alert.peers)


def _confirm(
    alerts: list[Alert],
    snapshot: Snapshot,
    ranking: RankingConfig,
    config: Config,
    store: Store,
    fetcher: Fetcher,
    previous: Snapshot,
) -> list[Alert]:
    """Alerts of a school leaving the list, once a second, fresh, whole read agrees; else `ParseRefused`."""
    if not any(_leaves(a) for a in alerts):
        return alerts
    who = ", ".join(a.school for a in alerts if a.kind == "left") or "a peer"
    try:
        again, _ = _read_whole(ranking, config, store, fetcher, previous, snapshot.fetched_at, conditional=False)
    except (ParseRefused, FetchError) as exc:
        raise ParseRefused(
            f"{who} seemed to have left the list, but the second read that must confirm it failed, so nothing "
            f"was recorded and the next check reads the list again: {exc}",
            url=ranking.url,
        ) from exc
    if again is None or again.content_hash != snapshot.content_hash:
        raise ParseRefused(
            f"{who} seemed to have left the list, but a second whole read a moment later gave another list, so "
            "nothing was recorded and the next check reads the list again",
            url=ranking.url,
        )
    return [replace(a, confirmed_reads=2) if _leaves(a) else a for a in alerts]


def _observe(
    ranking: RankingConfig, config: Config, store: Store, fetcher: Fetcher, fetched_at: datetime
) -> tuple[CheckResult, _Writes]:
    """Fetch, parse and compare one ranking and its school pages; return the result and what to write."""
    # Only a snapshot this tool checked itself is a base for news; imported editions only fill the history,
    # so the first check after an import is a baseline.
    previous = store.latest_snapshot(ranking.name, checked_only=True)
    try:
        snapshot, validators = _read_whole(ranking, config, store, fetcher, previous, fetched_at)
        rebased = snapshot is not None and previous is not None and was_partial(previous, snapshot)
        if snapshot is not None and previous is not None and previous.content_hash != snapshot.content_hash:
            events = [] if rebased else diff(previous, snapshot)
            past = store.snapshots(ranking.name)
            alerts = [] if rebased else alerts_for(previous, snapshot, events, config.school, past=past)
            alerts = _confirm(alerts, snapshot, ranking, config, store, fetcher, previous)
        else:
            alerts = []
    except ParseRefused as exc:
        return CheckResult(ranking.name, "refused", error=str(exc)), _Writes()
    except FetchError as exc:
        return CheckResult(ranking.name, "failed", error=str(exc)), _Writes()

    current = snapshot or previous
    assert current is not None  # a 304 is only possible after a first snapshot
    row = find_school(current, config.school)
    warnings = []
    if row is None:
        warnings.append(
            f"{config.school.name} is not in this list ({current.count} schools read). If it should be, "
            "check [school] name, or set [school] slug from its page's URL."
        )
    if rebased and previous is not None:
        warnings.append(
            f"the last list held {previous.count} schools and this one {current.count}: the last one was not the "
            "whole list, so this one is the new base and nobody is said to have entered it"
        )
    if current.count_note:
        warnings.append(current.count_note + " (one off: accepted)")
    missing = [p.name for p in config.school.peer_configs() if find_school(current, p) is None]
    if missing:
        warnings.append(f"peer(s) not in this list: {', '.join(missing)}; check the spelling in [school] peers")
    new_pages, page_validators, page_warnings = _read_school_pages(ranking, config, store, fetcher, current, fetched_at)
    warnings += page_warnings
    validators += tuple(page_validators)
    warning = "; ".join(warnings) or None
    if snapshot is None or (previous is not None and previous.content_hash == snapshot.content_hash):
        quiet: CheckOutcome = "not-modified" if snapshot is None else "unchanged"
        result = CheckResult(ranking.name, quiet, previous, row, warning=warning)
        # The same list over other pages (one page became two): kept, so that the next check asks for each page.
        moved = snapshot if snapshot is not None and previous is not None and snapshot.pages != previous.pages else None
        return result, _Writes(moved, validators=validators, school_pages=tuple(new_pages))
    messages = tuple(
        render_alert(
            _with_indicators(a, store, new_pages),
            sender=config.email.from_,
            recipients=config.email.to,
            chart=rank_chart_png(a.series),
        )
        for a in alerts
    )
    outcome: CheckOutcome = "baseline" if previous is None else "changed"
    result = CheckResult(ranking.name, outcome, snapshot, row, messages, warning=warning)
    return result, _Writes(snapshot, validators, messages, tuple(new_pages))


def check_ranking(
    ranking: RankingConfig, config: Config, *, store: Store, fetcher: Fetcher, now: Clock = utc_now
) -> CheckResult:
    """Check one ranking and record everything it learnt (fetch log, snapshot, alerts, state) in one transaction."""
    fetcher.take_log()
    fetched_at = now()
    result, writes = _observe(ranking, config, store, fetcher, fetched_at)
    log = fetcher.take_log()
    if result.outcome == "refused":
        log = [replace(f, outcome="refused", error=f.error or result.error) for f in log]
    state, notices = after_check(
        store.state(ranking.name),
        ok=result.ok,
        changed=result.outcome in ("baseline", "changed"),
        error=result.error,
        now=fetched_at,
        failures_before_alert=config.alerts.failures_before_alert,
        stale_after=timedelta(days=config.alerts.stale_after_days),
    )
    ops = [render_notice(n, sender=config.email.from_, recipients=config.email.operators) for n in notices]
    store.record_check(
        ranking.name,
        log,
        snapshot=writes.snapshot,
        validators=writes.validators,
        alerts=writes.alerts,
        ops_alerts=ops,
        state=state,
        school_pages=writes.school_pages,
    )
    return result


def run_check(
    config: Config,
    *,
    store: Store,
    fetcher: Fetcher,
    mailer: Mailer,
    now: Clock = utc_now,
    rankings: Sequence[RankingConfig] | None = None,
    due_only: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Check every ranking (one failing does not stop the others), then deliver the outbox.

    `should_stop` is asked between rankings and between emails, so a stopping daemon ends soon.
    """
    results = []
    for ranking in rankings or config.rankings:
        if should_stop():
            break
        try:
            results.append(check_ranking(ranking, config, store=store, fetcher=fetcher, now=now))
        except WatcherError as exc:  # a database error on one ranking: report it, go on with the next
            results.append(CheckResult(ranking.name, "failed", error=str(exc)))
        except Exception as exc:  # a bug must not stop the other rankings nor the delivery of pending alerts
            log.exception("the check of %s crashed", ranking.name)
            results.append(CheckResult(ranking.name, "failed", error=f"internal error: {type(exc).__name__}: {exc}"))
    delivery = deliver_pending(
        store,
        mailer,
        now,
        due_only=due_only,
        should_stop=should_stop,
        retry_seconds=config.email.retry_seconds,
    )
    return RunResult(tuple(results), delivery)
