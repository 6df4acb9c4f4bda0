"""Alerts for the people who run watcher (never mixed with the comms team's). Pure.

A ranking that fails N checks in a row gets one email when it starts failing and one when it
recovers, not one per check; a ranking with no successful check for D days gets one reminder.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from .model import EMAIL_POLICY


@dataclass(frozen=True, slots=True)
class RankingState:
    """What the last checks of one ranking said, kept between checks."""

    ranking: str
    failures: int = 0  # consecutive failed checks
    failing_since: datetime | None = None
    failing_alerted: bool = False
    stale_alerted: bool = False
    last_check_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_change_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class OpsNotice:
    kind: str  # "failing" | "recovered" | "stale"
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
) -> tuple[RankingState, list[OpsNotice]]:
    """The ranking's state after one check, and the notices that check calls for."""
    notices: list[OpsNotice] = []
    if ok:
        if state.failing_alerted or state.stale_alerted:
            since = state.failing_since or now
            notices.append(OpsNotice("recovered", state.ranking, since, state.failures, None, now))
        return (
            RankingState(
                ranking=state.ranking,
                last_check_at=now,
                last_ok_at=now,
                last_change_at=now if changed else state.last_change_at,
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


def render_notice(notice: OpsNotice, *, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """A plain-text email for the operators."""
    when = f"{notice.since:%Y-%m-%d %H:%M} UTC"
    if notice.kind == "failing":
        checks = "check" if notice.failures == 1 else "checks in a row"
        subject = f"[watcher] {notice.ranking}: {notice.failures} failed {checks}"
        body = (
            f"The ranking “{notice.ranking}” has failed {notice.failures} {checks}, since {when}.\n\n"
            f"Last error:\n  {notice.error}\n\n"
            "No snapshot is recorded and no comms alert is sent while it fails. You will get one more email "
            "when it recovers, not one per check. `watcher status` shows the details."
        )
    elif notice.kind == "recovered":
        subject = f"[watcher] {notice.ranking}: recovered"
        body = (
            f"The ranking “{notice.ranking}” was checked successfully again, after {notice.failures} failed "
            f"{'check' if notice.failures == 1 else 'checks'} since {when}."
        )
    else:
        subject = f"[watcher] {notice.ranking}: no successful check since {when}"
        body = (
            f"The ranking “{notice.ranking}” has not been checked successfully since {when}, so a new edition "
            f"would go unnoticed.\n\nLast error:\n  {notice.error}\n\n`watcher status` shows the details."
        )
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(notice.at)
    message["Message-ID"] = f"<{notice.key}@{sender.rpartition('@')[2]}>"
    message["X-Watcher-Kind"] = "ops"
    message.set_content(body + "\n")
    return message
