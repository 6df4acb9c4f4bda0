"""When the people who run watcher hear of a ranking (never mixed with the comms team's alerts). Pure.

A ranking that fails N checks in a row gets one email when it starts failing and one when it
recovers, not one per check; a ranking with no successful check for D days gets one reminder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from watcher.model import CheckWarning, NoticeKind, RankingState


@dataclass(frozen=True, slots=True)
class OpsNotice:
    kind: NoticeKind
    ranking: str
    since: datetime
    failures: int
    error: str | None
    at: datetime

    @property
    def key(self) -> str:
        raw = f"ops|{self.kind}|{self.ranking}|{self.since.isoformat()}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def after_check(
    state: RankingState,
    *,
    ok: bool,
    changed: bool,
    error: str | None,
    now: datetime,
    failures_before_alert: int,
    stale_after: timedelta,
    warnings: Sequence[CheckWarning] = (),
) -> tuple[RankingState, list[OpsNotice]]:
    """The ranking's state after one check, and the notices that check calls for.

    A warning is told once: again only for something new (its key), or when it comes back in a new list.
    """
    notices: list[OpsNotice] = []
    if ok:
        if state.failing_alerted or state.stale_alerted:
            since = state.failing_since or now
            notices.append(OpsNotice("recovered", state.ranking, since, state.failures, None, now))
        active = {w.key for w in warnings}
        told = set(state.warning_key.split(";")) if state.warning_key else set()
        if changed:
            told &= active  # a new list: what it no longer shows may be told again if it comes back
        text = "; ".join(w.text for w in warnings) or None
        if active - told:
            notices.append(OpsNotice("warning", state.ranking, now, 0, text, now))
        # What was told is kept while the list stays the same, so that a warning coming and going between
        # checks (a school page failing once in a while, a count only a full read sees) is told once.
        key = ";".join(sorted(told | active)) or None
        return (
            RankingState(
                ranking=state.ranking,
                last_check_at=now,
                last_ok_at=now,
                last_change_at=now if changed else state.last_change_at,
                warning=text,
                warning_key=key,
                accepted_edition=state.accepted_edition,
                discovered_at=state.discovered_at,
            ),
            notices,
        )
    since = state.failing_since or now
    new = replace(state, failures=state.failures + 1, failing_since=since, last_check_at=now, last_error=error)
    if new.failures >= failures_before_alert and not new.failing_alerted:
        notices.append(OpsNotice("failing", state.ranking, since, new.failures, error, now))
        new = replace(new, failing_alerted=True)
    last_ok = state.last_ok_at or since
    if now - last_ok >= stale_after and not new.stale_alerted:
        notices.append(OpsNotice("stale", state.ranking, last_ok, new.failures, error, now))
        new = replace(new, stale_alerted=True)
    return new, notices
