"""What one check of one ranking means, from what was known before it and what the network gave. Pure.

`decide` is the middle of a check: the database was read once into a `Known`, the pages were fetched and
read into a `Reading`; this says what happened (the outcome, the snapshot to keep, the alerts with every
figure, the state and the ops notices), and the caller writes it all in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from watcher.config import AlertsConfig, SchoolConfig
from watcher.layouts.plausible import was_partial
from watcher.model import (
    Alert,
    CheckOutcome,
    CheckWarning,
    FoundList,
    Known,
    RankingState,
    Reading,
    Row,
    SchoolPage,
    Snapshot,
)
from watcher.news.diff import diff
from watcher.news.discovery import linked
from watcher.news.doubts import edition_doubt, flipped_back, leaving
from watcher.news.identity import find_school
from watcher.news.indicators import since_last_edition
from watcher.news.ops import OpsNotice, after_check
from watcher.news.rules import alerts_for
from watcher.news.series import previous_check


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything one check learnt, to be written at once."""

    outcome: CheckOutcome
    state: RankingState
    notices: tuple[OpsNotice, ...] = ()
    snapshot: Snapshot | None = None  # to record (None: nothing new to keep)
    shown: Snapshot | None = None  # the list as it stands after the check, for the summary
    school_row: Row | None = None
    alerts: tuple[Alert, ...] = ()
    school_pages: tuple[SchoolPage, ...] = ()  # school pages that changed, to record
    lists: tuple[FoundList, ...] = ()  # the lists the ranking's page links to, to record (when it was read)
    warning: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome not in ("refused", "failed")


def _warnings(
    current: Snapshot, previous: Snapshot | None, school: SchoolConfig, rebased: bool, found: bool
) -> list[CheckWarning]:
    warnings = []
    if find_school(current, school) is None and not found:  # a found list need not hold the school (nor its peers)
        warnings.append(
            CheckWarning(
                "school-missing",
                f"{school.name} is not in this list ({current.count} schools read). If it should be, "
                "check [school] name, or set [school] slug from its page's URL.",
            )
        )
    if rebased and previous is not None:
        warnings.append(
            CheckWarning(
                "rebased",
                f"the last list held {previous.count} schools and this one {current.count}: the last one was not "
                "the whole list, so this one is the new base and nobody is said to have entered it",
            )
        )
    if current.count_note:
        warnings.append(CheckWarning("count", current.count_note + " (one off: accepted)"))
    for peer in () if found else school.peer_configs():
        if find_school(current, peer) is None:
            text = f"peer {peer.name} is not in this list; check its spelling in [school] peers"
            warnings.append(CheckWarning(f"peer-missing:{peer.name}", text))
    return warnings


def _new_school_pages(known: Known, read: tuple[SchoolPage, ...]) -> tuple[SchoolPage, ...]:
    """The pages read this time whose content or edition differs from the last one kept for that school."""
    kept = []
    for page in read:
        latest = next((p for p in reversed(known.school_pages) if p.slug == page.slug), None)
        if latest is None or latest.content_hash != page.content_hash or latest.edition != page.edition:
            kept.append(page)
    return tuple(kept)


def _alerts(
    known: Known, reading: Reading, previous: Snapshot, snapshot: Snapshot, school: SchoolConfig
) -> tuple[Alert, ...]:
    alerts = alerts_for(previous, snapshot, diff(previous, snapshot), school, past=known.snapshots)
    pages = (*known.school_pages, *reading.school_pages)
    out = []
    for alert in alerts:
        row = alert.new_row or alert.old_row
        assert row is not None
        indicators = since_last_edition(pages, row.page_key, alert.new_edition)
        out.append(replace(alert, indicators=indicators, confirmed_reads=reading.confirmed_reads))
    return tuple(out)


def decide(known: Known, reading: Reading, school: SchoolConfig, rules: AlertsConfig, at: datetime) -> Decision:
    """The outcome of one check, its alerts and what to record; a list that cannot be trusted records nothing."""
    assert known.state is not None
    snapshot = reading.snapshot
    if snapshot is not None and not known.history:  # a bug in the caller: news told without the editions before
        raise ValueError(f"a new list of {known.ranking!r} cannot be judged without the ranking's history")
    previous = previous_check(known.snapshots)
    outcome: CheckOutcome
    error = reading.error
    if reading.failure is None and snapshot is not None:
        gone = leaving(previous, snapshot, school)
        if gone and reading.confirmed_reads < 2:  # never news of a school leaving from one read
            error = f"{', '.join(gone)} seemed to have left the list, but no second whole read confirmed it"
        doubt = edition_doubt(snapshot, known.snapshots, known.state, at)
        error = error or doubt
    else:
        doubt = None
    if reading.failure is not None or error is not None:
        outcome = reading.failure or "refused"
        # A doubtful edition waits for the operator's word: they hear of it at once, not after a few failures.
        state, notices = _after(known.state, rules, at, ok=False, changed=False, error=error, at_once=doubt is not None)
        if reading.proposal is not None:  # the site's markup changed: ops get a layout to paste, once per proposal
            key = "layout:" + hashlib.sha256(reading.proposal.encode()).hexdigest()[:16]
            if key != known.state.warning_key:
                notices += (OpsNotice("layout", known.ranking, at, state.failures, reading.proposal, at),)
                state = replace(state, warning_key=key)
        return Decision(outcome, state, notices, error=error)
    current = snapshot or previous
    assert current is not None  # a 304 is only possible after a first snapshot
    rebased = snapshot is not None and previous is not None and was_partial(previous, snapshot)
    warnings = (*_warnings(current, previous, school, rebased, known.found), *reading.warnings)
    quiet = snapshot is None or (previous is not None and previous.content_hash == snapshot.content_hash)
    alerts: tuple[Alert, ...] = ()
    flip = None
    if quiet:
        outcome = "not-modified" if snapshot is None else "unchanged"
        # The same list over other pages (one page became two): kept, so that the next check asks for each page.
        record = (
            snapshot if snapshot is not None and previous is not None and snapshot.pages != previous.pages else None
        )
    else:
        assert snapshot is not None
        outcome = "baseline" if previous is None else "changed"
        record = snapshot
        flip = flipped_back(snapshot, previous, known.snapshots, at)
        if previous is not None and not rebased and flip is None:
            alerts = _alerts(known, reading, previous, snapshot, school)
    state, notices = _after(known.state, rules, at, ok=True, changed=not quiet, error=None, warnings=warnings)
    if flip is not None and previous is not None:
        text = (
            f"the list read now is the one first read at {flip.fetched_at:%Y-%m-%d %H:%M} UTC; the one read "
            f"between, at {previous.fetched_at:%Y-%m-%d %H:%M} UTC, differed"
        )
        notices += (OpsNotice("alternating", known.ranking, flip.fetched_at, 0, text, at),)
    lists: tuple[FoundList, ...] = ()
    if reading.related is not None:
        lists, unlinked = linked(known.lists, reading.related, known.ranking, at)
        state = replace(state, discovered_at=at)
        if unlinked:  # one notice for every list gone at once (they share its Message-ID)
            text = "\n  ".join(f"{g.name}: {g.link.url}" for g in unlinked)
            notices += (OpsNotice("list-gone", known.ranking, at, 0, text, at),)
    return Decision(
        outcome,
        state,
        notices,
        snapshot=record,
        shown=previous if quiet else snapshot,
        school_row=find_school(current, school),
        alerts=alerts,
        school_pages=_new_school_pages(known, reading.school_pages),
        lists=lists,
        warning="; ".join(w.text for w in warnings) or None,
    )


def _after(
    state: RankingState,
    rules: AlertsConfig,
    at: datetime,
    *,
    ok: bool,
    changed: bool,
    error: str | None,
    warnings: tuple[CheckWarning, ...] = (),
    at_once: bool = False,
) -> tuple[RankingState, tuple[OpsNotice, ...]]:
    new, notices = after_check(
        state,
        ok=ok,
        changed=changed,
        error=error,
        now=at,
        failures_before_alert=1 if at_once else rules.failures_before_alert,
        stale_after=timedelta(days=rules.stale_after_days),
        warnings=warnings,
    )
    return new, tuple(notices)
