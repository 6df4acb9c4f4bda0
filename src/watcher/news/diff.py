"""Two snapshots of one ranking → the typed events between them. Pure."""

from __future__ import annotations

from watcher.model import (
    Entered,
    Event,
    GroupChanged,
    Left,
    Moved,
    NewEdition,
    Renamed,
    Row,
    ScoreChanged,
    Snapshot,
)


def _school_events(old: Row, new: Row) -> list[Event]:
    events: list[Event] = []
    if old.name != new.name:
        events.append(Renamed(new.key, old.name, new.name))
    if (old.rank, old.tied) != (new.rank, new.tied):
        events.append(Moved(new.key, new.name, old.rank, new.rank, old.tied, new.tied))
    if old.group != new.group:
        events.append(GroupChanged(new.key, new.name, old.group, new.group))
    old_scores = dict(old.scores)
    for criterion, value in new.scores:
        if criterion in old_scores and old_scores[criterion] != value:
            events.append(ScoreChanged(new.key, new.name, criterion, old_scores[criterion], value))
    if old.total != new.total:
        events.append(ScoreChanged(new.key, new.name, "total", old.total, new.total))
    return events


def diff(old: Snapshot, new: Snapshot) -> list[Event]:
    """Every change from `old` to `new`: new edition first, then schools in the new list's order, then leavers."""
    events: list[Event] = []
    if old.edition != new.edition:
        events.append(NewEdition(old.edition, new.edition))
    before = old.by_key()
    for row in new.rows:
        previous = before.get(row.key)
        if previous is None:
            events.append(Entered(row.key, row.name, row.rank))
        else:
            events.extend(_school_events(previous, row))
    after = new.by_key()
    events.extend(Left(row.key, row.name, row.rank) for row in old.rows if row.key not in after)
    return events
