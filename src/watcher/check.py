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
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, TypeVar

from watcher.config import Config, RankingConfig
from watcher.errors import StoreError, WatcherError
from watcher.french.notice import render_notice
from watcher.model import (
    Alert,
    CheckOutcome,
    FoundList,
    Known,
    Reading,
    Row,
    Snapshot,
)
from watcher.news.decide import decide
from watcher.news.identity import find_school
from watcher.news.ops import OpsNotice
from watcher.news.rules import publication
from watcher.news.series import previous_check
from watcher.observe import Offload, here, observe
from watcher.outbox import Addressees, Delivery, deliver_pending
from watcher.pages.fetch import Fetcher
from watcher.store import Store

if TYPE_CHECKING:
    from watcher.mail import Mailer
    from watcher.model import Alert

# The HTML parser, the templates and the chart library are imported where they are used, so that a check whose
# pages answer 304 loads none of them (the daemon's memory, and the CPU of `watcher check` run by cron).

Clock = Callable[[], datetime]
T = TypeVar("T")
log = logging.getLogger("watcher.check")
# A found list the school is not in is read once a day, to see it enter: one conditional request a day.
LIST_WITHOUT_SCHOOL_EVERY = timedelta(hours=23)


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
    held: tuple[tuple[str, Alert], ...] = ()  # (Message-ID, alert) of the alerts held to be gathered

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


def _render(alerts: Sequence[Alert], config: Config) -> tuple[EmailMessage, ...]:
    """Each alert as its email, with its chart."""
    from watcher.french.chart import rank_chart_png
    from watcher.french.render import render_alert

    return tuple(
        render_alert(a, sender=config.email.from_, recipients=config.email.to, chart=rank_chart_png(a.series))
        for a in alerts
    )


def check_ranking(
    ranking: RankingConfig,
    config: Config,
    *,
    store: Store,
    fetcher: Fetcher,
    now: Clock = utc_now,
    offload: Offload = here,
    discover: bool = False,
    hold: bool = False,
) -> CheckResult:
    """Check one ranking: one read of the database, the network, a pure decision, one write of all it learnt.

    `discover`: also find the lists its page links to; `hold`: keep the alerts of a new edition to be gathered
    with the other lists' of the same publication (a revision is its own email)."""
    fetcher.take_log()
    at = now()
    known = store.known(ranking.name, history=False)  # the last list checked: all a 304 needs
    try:
        with fetcher.time_limit(config.fetch.check_deadline_seconds):
            reading = observe(ranking, config, known, fetcher, at, offload, discover)
        if reading.snapshot is not None:  # a list came with content: its news need the whole history
            known = store.known(ranking.name)
        decision = decide(known, reading, config.school, config.alerts, at)
        messages = offload(lambda: _render(decision.alerts, config)) if decision.alerts else ()
    except StoreError:  # the database, not a bug: counted by the caller like a database that cannot be opened
        raise
    except Exception as exc:  # a bug in reading or deciding is a failed check, counted and told like any other
        log.exception("the check of %s crashed", ranking.name)
        reading = Reading(failure="failed", error=f"internal error (please report it): {type(exc).__name__}: {exc}")
        decision, messages = decide(known, reading, config.school, config.alerts, at), ()
    notices = [render_notice(n, sender=config.email.from_, recipients=config.email.operators) for n in decision.notices]
    fetches = fetcher.take_log()
    if decision.outcome == "refused":
        fetches = [replace(f, outcome="refused", error=f.error or decision.error) for f in fetches]
    held = tuple(
        (m["Message-ID"], a) for a, m in zip(decision.alerts, messages, strict=True) if hold and not a.revision
    )
    held_ids = {message_id for message_id, _ in held}
    store.record_check(
        ranking.name,
        fetches,
        snapshot=decision.snapshot,
        validators=reading.validators if decision.ok else (),
        alerts=[m for m in messages if m["Message-ID"] not in held_ids],
        held=[m for m in messages if m["Message-ID"] in held_ids],
        lists=decision.lists,
        ops_alerts=notices,
        state=decision.state,
        school_pages=decision.school_pages,
        hosts=fetcher.hosts(),
        asks=reading.asks if decision.ok else (),
    )
    return CheckResult(
        ranking.name,
        decision.outcome,
        decision.shown,
        decision.school_row,
        messages,
        error=decision.error,
        warning=decision.warning,
        held=held,
    )


def due_lists(config: Config, store: Store, parent: RankingConfig, at: datetime) -> list[FoundList]:
    """The lists found linked from `parent` to check now: each where the school was listed (or not read yet) at
    every check, the others once a day (to see it enter), none its page no longer links."""
    from watcher.layouts.urls import same_list

    due = []
    for found in store.found_lists(parent.name):
        if found.gone_at is not None:
            continue
        if any(same_list(found.link.url, r.url) for r in config.rankings):
            continue  # configured as a ranking of its own: checked once, as such (they would share validators)
        known = store.known(found.name, history=False)
        last = previous_check(known.snapshots)
        checked = known.state.last_check_at if known.state else None
        absent = last is not None and find_school(last, config.school) is None
        if absent and checked is not None and at - checked < LIST_WITHOUT_SCHOOL_EVERY:
            continue
        due.append(found)
    return due


def gather(config: Config, store: Store, family: Sequence[CheckResult], offload: Offload = here) -> None:
    """The alerts a ranking and its lists held for one publication, told in one email (general list first); one
    alert alone is sent as it is. Whatever goes wrong here, the held alerts are sent as they are: none is lost."""
    held = [item for result in family for item in result.held]
    if not held:  # nothing of this family waits (what a run that ended early held is released at the next's start)
        return
    try:
        if len(held) < 2:
            store.release_held()
            return
        ordered = publication([alert for _, alert in held], [r.name for r in config.rankings])
        message = offload(lambda: _render_gathered(ordered, config))
        store.gather(ordered[0].ranking, [message_id for message_id, _ in held], message)
    except Exception:
        log.exception("the alerts of one publication could not be gathered: each is sent as it is")
        try:
            store.release_held()
        except WatcherError as exc:  # the next run releases them; this one still checks and delivers the rest
            log.error("held alerts could not be released now: %s", exc)


def _render_gathered(ordered: Sequence[Alert], config: Config) -> EmailMessage:
    from watcher.french.chart import rank_chart_png
    from watcher.french.render import render_alert

    main, others = ordered[0], ordered[1:]
    chart = rank_chart_png(main.series)
    return render_alert(main, sender=config.email.from_, recipients=config.email.to, chart=chart, others=others)


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
    offload: Offload = here,
) -> RunResult:
    """Check every ranking (one failing does not stop the others), then deliver the outbox.

    `should_stop` is asked between rankings and between emails, so a stopping daemon ends soon; `offload` runs the
    heavy steps (the daemon's runs them in a child process).
    """
    try:
        for old, new in store.adopt_renamed([(r.name, r.url) for r in config.rankings]):
            log.warning("the ranking %r is now named %r in the config: its history follows it", old, new)
    except WatcherError as exc:
        log.error("renamed rankings could not be followed: %s", exc)
    try:
        if released := store.release_held():
            log.warning("%d alert(s) held by a run that did not finish are sent as they are", released)
    except WatcherError as exc:
        log.error("held alerts could not be released: %s", exc)

    def one(ranking: RankingConfig, discover: bool = False, hold: bool = False) -> CheckResult:
        try:
            return check_ranking(
                ranking, config, store=store, fetcher=fetcher, now=now, offload=offload, discover=discover, hold=hold
            )
        except Exception as exc:  # the database failed (or a bug): count it, go on with the next ranking
            if not isinstance(exc, WatcherError):
                log.exception("the check of %s crashed", ranking.name)
            error = str(exc) if isinstance(exc, WatcherError) else f"internal error: {type(exc).__name__}: {exc}"
            _count_failure(ranking, config, store, mailer, error, now())
            return CheckResult(ranking.name, "failed", error=error)

    results: list[CheckResult] = []
    for ranking in rankings or config.rankings:
        if should_stop():
            break
        discover = config.school.discover and ranking in config.rankings
        family = [one(ranking, discover=discover, hold=discover)]
        if discover and family[0].ok:  # a ranking that cannot be read now (a redesign): its lists wait with it
            for found in due_lists(config, store, ranking, now()):
                if should_stop():
                    break
                listed = RankingConfig(name=found.name, url=found.link.url, browser=ranking.browser)
                family.append(one(listed, hold=True))
            gather(config, store, family, offload)
        results += family
    delivery = deliver_pending(
        store,
        mailer,
        now,
        due_only=due_only,
        should_stop=should_stop,
        retry_seconds=config.email.retry_seconds,
        addressees=Addressees(config.email.to, config.email.operators),
    )
    return RunResult(tuple(results), delivery)
