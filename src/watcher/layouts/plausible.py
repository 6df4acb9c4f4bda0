"""A new read of a list against the last one: plausible, or cut short, or the last one was not whole. Pure."""

from __future__ import annotations

import math

from watcher.errors import ParseRefused
from watcher.layouts.gate import MIN_ROWS
from watcher.model import Snapshot

PLAUSIBLE_SHARE = 0.8  # a new edition holds at least this share of the last one's schools (counts ran 164 to 174)
REVISION_SHARE = 0.95  # a revision of one edition adds or removes a school or two
TAIL_CUT = 3  # this many schools gone from the end of a list, and only there, is a cut, not a revision


def min_rows(previous: Snapshot | None) -> int:
    """The fewest schools a new read may hold: a list much shorter than the last one was not read whole."""
    return max(MIN_ROWS, math.ceil(previous.count * PLAUSIBLE_SHARE)) if previous else MIN_ROWS


def _tail_cut(previous: Snapshot, snapshot: Snapshot) -> int:
    """How many schools at the end of the last list are missing, when three or more."""
    kept = {row.key for row in snapshot.rows}
    missing = next((i for i, row in enumerate(reversed(previous.rows)) if row.key in kept), len(previous.rows))
    return missing if missing >= TAIL_CUT else 0


def check_against(previous: Snapshot, snapshot: Snapshot, url: str) -> None:
    """Refuse a read that the last snapshot shows was cut short, or that is an older edition."""
    if snapshot.edition == previous.edition and snapshot.count < previous.count * REVISION_SHARE:
        raise ParseRefused(
            f"{snapshot.count} schools read where the same edition listed {previous.count}: the list "
            "looks cut short (a missing page or a truncated table), so nobody is reported as leaving it",
            url=url,
        )
    if snapshot.edition == previous.edition and (cut := _tail_cut(previous, snapshot)):
        raise ParseRefused(
            f"the last {cut} schools of the list ({previous.rows[-cut].name} … {previous.rows[-1].name}) are gone "
            "and nobody else: the list looks cut at its tail, so nobody is reported as leaving it",
            url=url,
        )
    if snapshot.edition < previous.edition:
        raise ParseRefused(
            f"the page shows edition {snapshot.edition}, older than edition {previous.edition} already "
            "seen: an old copy is not news (to add a past edition, use `watcher import`)",
            url=url,
        )


def was_partial(previous: Snapshot, snapshot: Snapshot) -> bool:
    """Whether the new list is so much longer that the last one cannot have been whole (a teaser, a page missed)."""
    share = REVISION_SHARE if snapshot.edition == previous.edition else PLAUSIBLE_SHARE
    return snapshot.count * share > previous.count
