"""The watched school's rank edition by edition. Pure: snapshots in, entries and text out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .config import SchoolConfig
from .model import Row, Snapshot
from .render import number, ordinal, paris_time
from .rules import find_school


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """The school in one edition; `row` is None when it is not in that edition's list."""

    edition: int
    row: Row | None
    count: int
    fetched_at: datetime


def school_history(snapshots: Sequence[Snapshot], school: SchoolConfig) -> list[HistoryEntry]:
    """One entry per edition, from the latest snapshot of each (a revised list replaces the first one)."""
    latest: dict[int, Snapshot] = {}
    for snapshot in snapshots:  # oldest first, so later revisions win
        latest[snapshot.edition] = snapshot
    entries: list[HistoryEntry] = []
    known: Row | None = None
    for edition in sorted(latest, reverse=True):  # newest first: a renamed school is followed by its slug
        snapshot = latest[edition]
        row = find_school(snapshot, school, also=known)
        known = row or known
        entries.append(HistoryEntry(edition, row, snapshot.count, snapshot.fetched_at))
    return entries[::-1]


def format_history(ranking: str, entries: Sequence[HistoryEntry]) -> str:
    """A plain table, one line per edition."""
    if not entries:
        return f"{ranking}\n  no snapshot yet: run `watcher check` first\n"
    lines = [ranking, f"  {'edition':<8} {'rank':<14} {'points':>7}  {'group':<6} {'schools':>7}  fetched"]
    for e in entries:
        if e.row is None:
            rank, points, group = "not ranked", "", ""
        else:
            rank, points, group = ordinal(e.row.rank, e.row.tied), number(e.row.total), e.row.group or ""
        lines.append(f"  {e.edition:<8} {rank:<14} {points:>7}  {group:<6} {e.count:>7}  {paris_time(e.fetched_at)}")
    return "\n".join(lines) + "\n"
