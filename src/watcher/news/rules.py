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
    Snapshot,
)
from watcher.news.figures import figure, group_place, peer_move
from watcher.news.identity import find_in_pair
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
            )
        )
    ]
