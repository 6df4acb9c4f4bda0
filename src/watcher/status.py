"""`watcher status`: what an operator (or a monitoring script) needs to know, from the database alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from watcher.config import Config
from watcher.model import RankingState
from watcher.news.series import latest
from watcher.schedule import local_time, next_run, season_words
from watcher.store.db import Store
from watcher.store.outbox import OutboxItem


@dataclass(frozen=True, slots=True)
class RankingStatus:
    name: str
    state: RankingState
    edition: int | None
    schools: int | None
    attention: str | None  # why it needs attention, if it does


@dataclass(frozen=True, slots=True)
class Status:
    rankings: tuple[RankingStatus, ...]
    pending: tuple[OutboxItem, ...]
    next_run: datetime | None
    database: str
    database_bytes: int
    season: str | None = None  # the busy season's rhythm, told in words

    @property
    def needs_attention(self) -> bool:
        return any(r.attention for r in self.rankings) or any(p.attempts for p in self.pending)


def gather(config: Config, store: Store, now: datetime) -> Status:
    """Read the state of every configured ranking and of the outbox."""
    stale = timedelta(days=config.alerts.stale_after_days)
    rankings = []
    for ranking in config.rankings:
        known = store.known(ranking.name)
        state, snapshot = known.state, latest(known.snapshots)
        assert state is not None
        attention = None
        if state.last_check_at is None:
            attention = "never checked"
        elif state.failures:
            attention = f"last {state.failures} check(s) failed"
        elif state.last_ok_at and now - state.last_ok_at > stale:
            attention = f"no successful check for {_duration(now - state.last_ok_at)}"
        elif state.warning_key and "school-missing" in state.warning_key.split(";"):
            attention = f"{config.school.name} is not in the last list read"
        rankings.append(
            RankingStatus(
                ranking.name,
                state,
                snapshot.edition if snapshot else None,
                snapshot.count if snapshot else None,
                attention,
            )
        )
    size = sum(p.stat().st_size for p in store.path.parent.glob(store.path.name + "*") if p.is_file())
    season = config.schedule.season
    told = None
    if season:
        told = season_words(season) + (" (now)" if season.covers(now.month, now.hour) else "")
    return Status(tuple(rankings), tuple(store.pending()), next_run(config.schedule, now), str(store.path), size, told)


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}"
    return f"{hours / 24:.0f} days"


def _when(moment: datetime | None, tz: tzinfo | None) -> str:
    return local_time(moment, tz)


def format_status(status: Status, tz: tzinfo | None = None) -> str:
    """A short report, one block per ranking, every time in `tz` (the schedule's time zone)."""
    lines = []
    for r in status.rankings:
        s = r.state
        flag = f"  <-- NEEDS ATTENTION: {r.attention}" if r.attention else ""
        lines.append(f"{r.name}{flag}")
        edition = f"edition {r.edition}, {r.schools} schools" if r.edition else "no snapshot yet"
        outcome = "" if s.last_check_at is None else " (failed)" if s.failures else " (ok)"
        lines.append(f"  last check:   {_when(s.last_check_at, tz)}{outcome}; {edition}")
        lines.append(f"  last success: {_when(s.last_ok_at, tz)}")
        lines.append(f"  last change:  {_when(s.last_change_at, tz)}")
        if s.failures:
            lines.append(f"  last error:   {s.last_error}")
        if s.warning:
            lines.append(f"  warning:      {s.warning}")
    lines.append(f"Next scheduled check (under `watcher daemon`): {_when(status.next_run, tz)}")
    if status.season:
        lines.append(f"  and in the busy season: {status.season}")
    if status.pending:
        lines.append(f"Pending alerts: {len(status.pending)}")
        for p in status.pending:
            tried = f"tried {p.attempts} time(s), last error: {p.last_error}" if p.attempts else "not tried yet"
            lines.append(f"  - [{p.kind}] {p.message['Subject']} (queued {_when(p.created_at, tz)}; {tried})")
    else:
        lines.append("Pending alerts: none")
    lines.append(f"Database: {status.database} ({status.database_bytes / 1024:.0f} KiB)")
    return "\n".join(lines)
