"""Every figure an alert states, each computed in one function and carried on the alert. Pure.

The renderers (emails, paragraph, report) only format these values, so two parts of one email cannot disagree.
"""

from __future__ import annotations

from dataclasses import replace

from watcher.model import Alert, CriterionDelta, GroupPlace, PeerMove, Row, Share, Snapshot


def places(old: Row | None, new: Row | None) -> int | None:
    """Places gained (positive) or lost (negative), from the ranks as published or derived; None without both rows."""
    if old is None or new is None:
        return None
    return old.rank - new.rank


def share_above(rank: int, count: int) -> Share:
    """The schools ranked ahead of `rank` among `count`, and the top share when it is the first half of the list."""
    top = round(100 * rank / count)
    return Share(ahead=rank - 1, count=count, percent_ahead=100 * (rank - 1) / count, top=top if top <= 50 else None)


def group_place(snapshot: Snapshot, row: Row) -> GroupPlace | None:
    """Where `row` stands in its group, counted from the ranks (ties share a place)."""
    if row.group is None:
        return None
    members = [r for r in snapshot.rows if r.group == row.group]
    return GroupPlace(row.group, row.rank - members[0].rank + 1, len(members))


def _change(before: float | None, after: float | None) -> float | None:
    return round(after - before, 2) if before is not None and after is not None else None


def criteria_deltas(old: Row | None, new: Row | None) -> tuple[CriterionDelta, ...]:
    """The new row's criteria in column order, then its total, each against the old row."""
    if new is None:
        return ()
    before = dict(old.scores) if old else {}
    maxima = dict(new.score_max)
    deltas = [
        CriterionDelta(label, before.get(label), value, _change(before.get(label), value), maxima.get(label))
        for label, value in new.scores
    ]
    prior = old.total if old else None
    deltas.append(CriterionDelta("Total", prior, new.total, _change(prior, new.total), new.total_max, is_total=True))
    return tuple(deltas)


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
    )
