"""One check of one ranking: read what is known once, fetch, decide, write once; then deliver the outbox.

    store.known ─► Known ─┐
    pages (network) ─► Reading ─► news.decide (pure) ─► Decision ─► french (render) ─► store.record_check
                                                                                     └► outbox ─► mail

The edges (fetcher, store, mailer, clock) are passed in; this module is the only place where they meet the
pure stages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.message import EmailMessage

from watcher.config import Config, RankingConfig
from watcher.errors import FetchError, NoLayoutFits, ParseRefused, WatcherError
from watcher.french.chart import rank_chart_png
from watcher.french.notice import render_notice
from watcher.french.render import render_alert
from watcher.layouts import assemble
from watcher.layouts.infer import ListCopy, propose
from watcher.layouts.infer import render as render_proposal
from watcher.layouts.plausible import check_against, min_rows
from watcher.layouts.school import parse_school_page, school_page_url
from watcher.mail import Mailer
from watcher.model import CheckOutcome, CheckWarning, Known, Reading, Row, SchoolPage, Snapshot, Validators
from watcher.news.decide import decide
from watcher.news.doubts import leaving
from watcher.news.identity import find_school
from watcher.news.ops import OpsNotice
from watcher.news.series import previous_check
from watcher.outbox import Delivery, deliver_pending
from watcher.pages.fetch import Fetcher
from watcher.pages.hosts import redacted
from watcher.pages.lists import first_page, numbered_pages, read_list
from watcher.store import Store

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


def _read_whole(
    ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, at: datetime, *, conditional: bool = True
) -> tuple[Snapshot | None, tuple[Validators, ...]]:
    """Fetch and read one list whole (None when every page answered 304), or raise why it cannot be trusted."""
    previous = previous_check(known.snapshots)
    browser = config.uses_browser(ranking)
    first = (
        first_page(fetcher, ranking.url, previous, known.validators, browser)
        if conditional
        else fetcher.get(ranking.url, browser=browser)
    )
    if first is None:
        return None, ()
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
        again, _ = _read_whole(ranking, config, known, fetcher, snapshot.fetched_at, conditional=False)
    except (ParseRefused, FetchError) as exc:
        raise ParseRefused(
            f"{who} seemed to have left the list, but the second read that must confirm it failed, so nothing "
            f"was recorded and the next check reads the list again: {exc}",
            url=redacted(ranking.url),
        ) from exc
    if again is None or again.content_hash != snapshot.content_hash:
        raise ParseRefused(
            f"{who} seemed to have left the list, but a second whole read a moment later gave another list, so "
            "nothing was recorded and the next check reads the list again",
            url=redacted(ranking.url),
        )
    return 2


def _school_pages(
    ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, current: Snapshot, at: datetime
) -> tuple[list[SchoolPage], list[Validators], list[CheckWarning]]:
    """The watched school's and peers' own pages that answered with content; a failure is only a warning."""
    rows = [find_school(current, s) for s in (config.school, *config.school.peer_configs())]
    read, validators, warnings = [], [], []
    browser = config.uses_browser(ranking)
    for row in rows:
        if row is None or (row.slug is None and row.link is None):
            continue
        # The list's own link; a row stored before links were kept falls back to the palmarès address.
        url = row.link or school_page_url(ranking.url, str(row.slug))
        seen = any(p.slug == row.page_key for p in known.school_pages)
        try:
            remembered = None if browser or not seen else known.validators.get(redacted(url))
            page = fetcher.get(url, remembered, browser=browser, within=ranking.url)
            if page.not_modified:
                continue
            parsed = parse_school_page(
                page.content, url, slug=row.page_key, edition=current.edition, fetched_at=at, encoding=page.encoding
            )
        except (FetchError, ParseRefused) as exc:
            text = f"the page of {row.bare_name} could not be read, so its indicators are not compared: {exc}"
            warnings.append(CheckWarning(f"school-page:{row.bare_name}", text))
            continue
        validators.append(page.validators)
        read.append(parsed)
    return read, validators, warnings


def _propose(ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, at: datetime) -> str | None:
    """When no layout fits: a layout inferred from the last whole list and checked on the list's pages, as the
    text ops receive; None when there is no last list or nothing whole and plausible can be inferred."""
    previous = previous_check(known.snapshots)
    if previous is None:
        return None
    try:
        first = fetcher.get(ranking.url, browser=config.uses_browser(ranking))
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


def observe(ranking: RankingConfig, config: Config, known: Known, fetcher: Fetcher, at: datetime) -> Reading:
    """Everything the network says of one ranking now: the list read whole (confirmed when someone leaves it) and
    the school pages; a list that cannot be read whole is a failure, never a shorter list."""
    try:
        snapshot, validators = _read_whole(ranking, config, known, fetcher, at)
        confirmed = _confirm(ranking, config, known, fetcher, snapshot) if snapshot is not None else 1
    except NoLayoutFits as exc:
        return Reading(failure="refused", error=str(exc), proposal=_propose(ranking, config, known, fetcher, at))
    except ParseRefused as exc:
        return Reading(failure="refused", error=str(exc))
    except FetchError as exc:
        return Reading(failure="failed", error=str(exc))
    current = snapshot or previous_check(known.snapshots)
    assert current is not None  # a 304 is only possible after a first snapshot
    pages, page_validators, warnings = _school_pages(ranking, config, known, fetcher, current, at)
    return Reading(snapshot, (*validators, *page_validators), tuple(pages), tuple(warnings), confirmed)


def check_ranking(
    ranking: RankingConfig, config: Config, *, store: Store, fetcher: Fetcher, now: Clock = utc_now
) -> CheckResult:
    """Check one ranking: one read of the database, the network, a pure decision, one write of all it learnt."""
    fetcher.take_log()
    at = now()
    known = store.known(ranking.name)
    try:
        with fetcher.time_limit(config.fetch.check_deadline_seconds):
            reading = observe(ranking, config, known, fetcher, at)
        decision = decide(known, reading, config.school, config.alerts, at)
        messages = tuple(
            render_alert(a, sender=config.email.from_, recipients=config.email.to, chart=rank_chart_png(a.series))
            for a in decision.alerts
        )
    except Exception as exc:  # a bug in reading or deciding is a failed check, counted and told like any other
        log.exception("the check of %s crashed", ranking.name)
        reading = Reading(failure="failed", error=f"internal error (please report it): {type(exc).__name__}: {exc}")
        decision, messages = decide(known, reading, config.school, config.alerts, at), ()
    notices = [render_notice(n, sender=config.email.from_, recipients=config.email.operators) for n in decision.notices]
    fetches = fetcher.take_log()
    if decision.outcome == "refused":
        fetches = [replace(f, outcome="refused", error=f.error or decision.error) for f in fetches]
    store.record_check(
        ranking.name,
        fetches,
        snapshot=decision.snapshot,
        validators=reading.validators if decision.ok else (),
        alerts=messages,
        ops_alerts=notices,
        state=decision.state,
        school_pages=decision.school_pages,
        hosts=fetcher.hosts(),
    )
    return CheckResult(
        ranking.name,
        decision.outcome,
        decision.shown,
        decision.school_row,
        messages,
        error=decision.error,
        warning=decision.warning,
    )


_told_unrecorded: dict[str, date] = {}  # ranking → day ops were told its failures cannot be recorded


def _count_failure(
    ranking: RankingConfig, config: Config, store: Store, mailer: Mailer, error: str, at: datetime
) -> None:
    """A check that ended before its write: counted in the ranking's state if the database takes it; else ops are
    told straight away (once a day per ranking and process), since the outbox is in that database."""
    reading = Reading(failure="failed", error=error)
    try:
        known = Known(ranking.name, state=store.state(ranking.name))
        decision = decide(known, reading, config.school, config.alerts, at)
        ops = [render_notice(n, sender=config.email.from_, recipients=config.email.operators) for n in decision.notices]
        store.record_check(ranking.name, [], ops_alerts=ops, state=decision.state)
        return
    except WatcherError as exc:
        unrecorded = exc
    if _told_unrecorded.get(ranking.name) == at.date():
        return
    text = f"{error}. It could not be recorded either ({unrecorded}), so `watcher status` may not show it."
    notice = OpsNotice("failing", ranking.name, at, 1, text, at)
    try:
        mailer.send(render_notice(notice, sender=config.email.from_, recipients=config.email.operators))
        _told_unrecorded[ranking.name] = at.date()
    except WatcherError as exc:
        log.error("the failure of %s could neither be recorded nor emailed: %s; %s", ranking.name, text, exc)


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
    try:
        for old, new in store.adopt_renamed([(r.name, r.url) for r in config.rankings]):
            log.warning("the ranking %r is now named %r in the config: its history follows it", old, new)
    except WatcherError as exc:
        log.error("renamed rankings could not be followed: %s", exc)
    results = []
    for ranking in rankings or config.rankings:
        if should_stop():
            break
        try:
            results.append(check_ranking(ranking, config, store=store, fetcher=fetcher, now=now))
        except Exception as exc:  # the database failed (or a bug): count it, go on with the next ranking
            if not isinstance(exc, WatcherError):
                log.exception("the check of %s crashed", ranking.name)
            error = str(exc) if isinstance(exc, WatcherError) else f"internal error: {type(exc).__name__}: {exc}"
            _count_failure(ranking, config, store, mailer, error, now())
            results.append(CheckResult(ranking.name, "failed", error=error))
    delivery = deliver_pending(
        store,
        mailer,
        now,
        due_only=due_only,
        should_stop=should_stop,
        retry_seconds=config.email.retry_seconds,
    )
    return RunResult(tuple(results), delivery)
