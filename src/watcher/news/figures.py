"""Every figure an alert states, each computed in one function and carried on the alert. Pure.

The renderers (emails, paragraph, report) only format these values, so two parts of one email cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

from watcher.model import Alert, CriterionDelta, GroupPlace, PeerMove, Row, Share, Snapshot, SubsetPlace


def places(old: Row | None, new: Row | None) -> int | None:
    """Places gained (positive) or lost (negative), from the ranks as published or derived; None without both rows."""
    if old is None or new is None:
        return None
    return old.rank - new.rank


def share_above(rank: int, count: int) -> Share:
    """The schools ranked ahead of `rank` among `count`, and the smallest whole N such that the school is in the
    first N % of the list (27e of 168 is 16,1 %: in the first 17 %, which is true; "16 %" would not be), stated
    only for the first half of the list."""
    top = math.ceil(100 * rank / count)
    return Share(ahead=rank - 1, count=count, top=top if top <= 50 else None)


def group_place(snapshot: Snapshot, row: Row) -> GroupPlace | None:
    """Where `row` stands in its group, counted from the ranks (ties share a place)."""
    if row.group is None:
        return None
    members = [r for r in snapshot.rows if r.group == row.group]
    return GroupPlace(row.group, row.rank - members[0].rank + 1, len(members))


# A criterion that moves by less is not told as progress: points are published to one decimal, and a few tenths
# come and go with the method's rounding.
NOTABLE_POINTS = 0.5


def _change(before: float | None, after: float | None) -> float | None:
    return round(after - before, 2) if before is not None and after is not None else None


def criteria_deltas(old: Row | None, new: Row | None) -> tuple[CriterionDelta, ...]:
    """The new row's criteria in column order, then its total, each against the old row."""
    if new is None:
        return ()
    before = dict(old.scores) if old else {}
    maxima = dict(new.score_max)
    deltas = []
    for label, value in new.scores:
        change = _change(before.get(label), value)
        notable = change is not None and abs(change) >= NOTABLE_POINTS
        deltas.append(CriterionDelta(label, before.get(label), value, change, maxima.get(label), notable=notable))
    prior = old.total if old else None
    change = _change(prior, new.total)
    notable = change is not None and abs(change) >= NOTABLE_POINTS
    deltas.append(CriterionDelta("Total", prior, new.total, change, new.total_max, is_total=True, notable=notable))
    return tuple(deltas)


def subset_place(name: str, members: Sequence[Row], row: Row, before: int | None = None) -> SubsetPlace:
    """`row`'s place among `members` (rows of one list, `row` among them): one more than the members ranked
    strictly ahead of it, so ties share a place as they do in the list."""
    ahead = sum(1 for m in members if m.rank < row.rank)
    tied = any(m.rank == row.rank and m.key != row.key for m in members)
    return SubsetPlace(name, ahead + 1, len(members), tied, before)


def point_digits(rows: Iterable[Row]) -> int:
    """How many decimals every point figure is written with: one when any score of these rows has one, so
    "93,0" stands beside "91,5" and "12" never beside "12,3"."""
    for row in rows:
        if any(v is not None and v != int(v) for v in (row.total, *(value for _, value in row.scores))):
            return 1
    return 0


def peer_move(name: str, old: Row | None, new: Row | None) -> PeerMove:
    """A peer's rows in both lists, with its move."""
    return PeerMove(name, old, new, places(old, new))


def _overtake(alert: Alert, peer: PeerMove) -> PeerMove:
    me_old, me_new, old, new = alert.old_row, alert.new_row, peer.old, peer.new
    if me_old is None or me_new is None or old is None or new is None:
        return replace(peer, overtake=None)
    if me_old.rank > old.rank and me_new.rank < new.rank:
        return replace(peer, overtake="school-passes")
    if me_old.rank < old.rank and me_new.rank > new.rank:
        return replace(peer, overtake="peer-passes")
    return replace(peer, overtake=None)


def figure(alert: Alert) -> Alert:
    """The alert with every figure computed from the rows and counts it carries."""
    new = alert.new_row
    return replace(
        alert,
        peers=tuple(_overtake(alert, p) for p in alert.peers),
        places=places(alert.old_row, new),
        share=share_above(new.rank, alert.new_count) if new is not None else None,
        criteria=criteria_deltas(alert.old_row, new),
        revision=alert.old_edition == alert.new_edition,
        # Never fewer decimals than the school's own figures need, whoever made the alert.
        point_digits=max(alert.point_digits, point_digits(r for r in (alert.old_row, new) if r is not None)),
    )
