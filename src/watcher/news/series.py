"""A ranking's snapshots in time: which is the latest, which came before, and the school edition by edition.

The one place that says what "latest" and "previous" mean, for a check, the report, the history and an import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from watcher.config import SchoolConfig
from watcher.model import Row, Snapshot, Standing
from watcher.news.identity import find_school


def _order(snapshot: Snapshot) -> tuple[int, str]:
    # The newest edition first; within one edition the latest read (a revision replaces the first list).
    return snapshot.edition, snapshot.fetched_at.isoformat()


def latest(snapshots: Iterable[Snapshot]) -> Snapshot | None:
    """The last read of the newest edition, or None when there is none."""
    return max(snapshots, key=_order, default=None)


def in_order(snapshots: Iterable[Snapshot]) -> list[Snapshot]:
    """Oldest edition first; within one edition, in the order they were read."""
    return sorted(snapshots, key=_order)


def previous_check(snapshots: Iterable[Snapshot]) -> Snapshot | None:
    """The base for news: the latest snapshot this tool checked itself (imported copies only fill the history)."""
    return latest(s for s in snapshots if s.origin == "check")


def previous_edition(snapshots: Iterable[Snapshot], edition: int) -> Snapshot | None:
    """The latest snapshot of an edition older than `edition`."""
    return latest(s for s in snapshots if s.edition < edition)


def school_history(snapshots: Sequence[Snapshot], school: SchoolConfig) -> list[Standing]:
    """One standing per edition, from the latest snapshot of each (a revised list replaces the first one)."""
    by_edition: dict[int, Snapshot] = {}
    for snapshot in sorted(snapshots, key=_order):  # later revisions win
        by_edition[snapshot.edition] = snapshot
    standings: list[Standing] = []
    known: Row | None = None
    for edition in sorted(by_edition, reverse=True):  # newest first: a renamed school is followed by its slug
        snapshot = by_edition[edition]
        row = find_school(snapshot, school, also=known)
        known = row or known
        standings.append(
            Standing(edition, row, snapshot.count, snapshot.fetched_at, snapshot.url, snapshot.origin == "import")
        )
    return standings[::-1]


def missing_editions(series: Sequence[Standing], until: int | None = None) -> tuple[tuple[int, int], ...]:
    """The runs of editions (first, last) between the first one held and `until` (else the last held) of which
    no list was read: the series says so rather than skip from 2021 to 2025."""
    held = sorted({s.edition for s in series})
    if not held:
        return ()
    last = held[-1] if until is None else until
    gaps: list[tuple[int, int]] = []
    for year in range(held[0], last):
        if year in held:
            continue
        if gaps and gaps[-1][1] == year - 1:
            gaps[-1] = (gaps[-1][0], year)
        else:
            gaps.append((year, year))
    return tuple(gaps)


def renames(configured: Sequence[tuple[str, str]], stored: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(old name, new name) for each configured ranking with no history whose URL is that of exactly one stored
    ranking no longer configured: a ranking renamed in the config keeps its history, and its next check is not a
    baseline. `configured` and `stored` are (name, URL) pairs; a stored ranking may appear under several URLs."""
    names = {name for name, _ in configured}
    kept = {name for name, _ in stored}
    out = []
    for name, url in configured:
        if name in kept:
            continue
        orphans = sorted({old for old, old_url in stored if old_url == url and old not in names})
        if len(orphans) == 1:
            out.append((orphans[0], name))
    return out
