"""Which changes the comms team hears about. Pure: snapshots and events in, alerts out.

The watched school gets an alert when its rank moves, when it enters or leaves the list, and when a
new edition is published (even at the same rank: a new palmarès is news). The first snapshot of a
ranking is a baseline and alerts nobody.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from watcher.config import SchoolConfig
from watcher.model import (
    Alert,
    AlertKind,
    Event,
    NewEdition,
    PeerMove,
    Row,
    Snapshot,
    SubsetPlace,
)
from watcher.news.figures import figure, group_place, peer_move, point_digits, subset_place
from watcher.news.identity import find_in_pair, subset_members
from watcher.news.series import school_history


def peer_moves(old: Snapshot, new: Snapshot, school: SchoolConfig) -> tuple[PeerMove, ...]:
    """How each configured peer stands in both snapshots."""
    moves = []
    for peer in school.peer_configs():
        old_row, new_row = find_in_pair(old, new, peer)
        if old_row or new_row:
            moves.append(peer_move((new_row or old_row).bare_name, old_row, new_row))  # type: ignore[union-attr]
    return tuple(moves)


def alert_key(ranking_url: str, old: Snapshot, new: Snapshot, school_key: str) -> str:
    """Stable identity of one alert: the same pair of snapshots always gets the same Message-ID.

    The old snapshot's fetch time is part of it: the same move read again after a flip back and forth is a
    new alert, unless `news.doubts.flipped_back` holds it back (a flip within days goes to ops instead).
    """
    raw = f"{ranking_url}|{old.content_hash}|{old.fetched_at.isoformat()}|{new.content_hash}|{school_key}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def subset_places(
    old: Snapshot, new: Snapshot, old_row: Row | None, new_row: Row | None, school: SchoolConfig
) -> tuple[SubsetPlace, ...]:
    """The school's place among each subset the config names, in the new list (and the old one, when listed)."""
    if new_row is None:
        return ()
    places = []
    for subset in school.subsets:
        if len(subset_members(new, subset, new_row)) < 2:
            continue  # none of its members is in this list: "1re" of a subset of one would be no news
        before = None
        if old_row is not None:
            before = subset_place(subset.name, subset_members(old, subset, old_row), old_row).position
        places.append(subset_place(subset.name, subset_members(new, subset, new_row), new_row, before))
    return tuple(places)


def alerts_for(
    old: Snapshot | None,
    new: Snapshot,
    events: Sequence[Event],
    school: SchoolConfig,
    past: Sequence[Snapshot] = (),
) -> list[Alert]:
    """The comms alerts a new snapshot calls for (none for a baseline); `past` gives the series of editions."""
    if old is None:
        return []
    old_row, new_row = find_in_pair(old, new, school)
    if old_row is None and new_row is None:
        return []
    new_edition = any(isinstance(e, NewEdition) for e in events)
    kind: AlertKind
    if old_row is not None and new_row is not None:
        if (old_row.rank, old_row.tied) != (new_row.rank, new_row.tied):
            kind = "moved"
        elif new_edition:
            kind = "stable"
        else:
            return []
    else:
        kind = "entered" if new_row is not None else "left"
    row = new_row or old_row
    assert row is not None
    keys = {r.key for r in (old_row, new_row) if r is not None}
    return [
        figure(
            Alert(
                kind=kind,
                ranking=new.ranking,
                url=new.url,
                school=row.bare_name,
                old_edition=old.edition,
                new_edition=new.edition,
                old_row=old_row,
                new_row=new_row,
                old_count=old.count,
                new_count=new.count,
                new_group_place=group_place(new, new_row) if new_row else None,
                fetched_at=new.fetched_at,
                message_key=alert_key(new.url, old, new, row.key),
                changes=tuple(e for e in events if getattr(e, "key", None) in keys),
                series=tuple(school_history([*past, old, new], school)),
                peers=peer_moves(old, new, school),
                ranks_derived=new.ranks_derived or old.ranks_derived,
                declared_count=new.declared_count if new.declared_count != new.count else None,
                point_digits=point_digits([*old.rows, *new.rows]),
                subsets=subset_places(old, new, old_row, new_row, school),
            )
        )
    ]


def publication(alerts: Sequence[Alert], configured: Sequence[str]) -> tuple[Alert, ...]:
    """The alerts of one publication day in the order one email tells them: the configured rankings first (the
    general list), then the lists where the school moved, most places first, then where it entered or left, then
    where it kept its rank."""

    def order(alert: Alert) -> tuple[int, int, int, str]:
        if alert.ranking in configured:
            return (0, configured.index(alert.ranking), 0, "")
        if alert.places:  # the largest moves first; of two as large, the gain
            return (1, -abs(alert.places), -alert.places, alert.ranking)
        return (2 if alert.places is None else 3, 0, 0, alert.ranking)

    return tuple(sorted(alerts, key=order))


def publication_key(alerts: Sequence[Alert]) -> str:
    """One Message-ID for the email that gathers these alerts, the same whatever their order."""
    return hashlib.sha256("\n".join(sorted(a.message_key for a in alerts)).encode()).hexdigest()[:32]
