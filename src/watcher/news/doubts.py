"""News that is held back until it is sure: a school leaving a list, an edition far ahead of the last one, a list
that flips back to a version already read. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from watcher.config import SchoolConfig
from watcher.layouts.plausible import was_partial
from watcher.model import RankingState, Snapshot
from watcher.news.identity import find_in_pair

# A list coming back to a version read this recently is a cache flipping, not L'Étudiant revising twice.
ALTERNATION_WINDOW = timedelta(days=7)


def leaving(previous: Snapshot | None, snapshot: Snapshot, school: SchoolConfig) -> tuple[str, ...]:
    """Who of the school and its peers was in the previous list and is not in this one (only when the school is
    in either: otherwise no alert tells of it). Such news waits for a second whole read that agrees."""
    if previous is None or previous.content_hash == snapshot.content_hash or was_partial(previous, snapshot):
        return ()
    if find_in_pair(previous, snapshot, school) == (None, None):
        return ()
    gone = []
    for who in (school, *school.peer_configs()):
        old_row, new_row = find_in_pair(previous, snapshot, who)
        if old_row is not None and new_row is None:
            gone.append(old_row.bare_name)
    return tuple(gone)


def edition_doubt(snapshot: Snapshot, snapshots: Sequence[Snapshot], state: RankingState, at: datetime) -> str | None:
    """Why an edition cannot be believed yet (more than one ahead of the last seen, or past next year), or None.

    Once recorded, a wrong edition would refuse every later list as "older": so it waits for the operator's word.
    """
    if snapshot.edition == state.accepted_edition:
        return None
    # Only editions this tool read itself: imported past editions do not make the current one "skip" any.
    last = max((s.edition for s in snapshots if s.origin == "check"), default=None)
    if snapshot.edition > at.year + 1:
        why = f"it is {at.year}, so the edition cannot be later than {at.year + 1}"
    elif last is not None and snapshot.edition > last + 1:
        why = f"the last edition seen is {last}, so {snapshot.edition} skips one"
    else:
        return None
    return (
        f"the list says it is the {snapshot.edition} edition, but {why}: a typo in the page's title is more likely "
        "than a new edition. Nothing was recorded and nobody was alerted. If the edition is right, run "
        f'`watcher accept-edition "{snapshot.ranking}" {snapshot.edition}`: the next check takes it.'
    )


def flipped_back(
    snapshot: Snapshot, previous: Snapshot | None, snapshots: Sequence[Snapshot], at: datetime
) -> Snapshot | None:
    """The first read, within the last days, of the version this list came back to (None if it is new)."""
    if previous is None or previous.content_hash == snapshot.content_hash:
        return None
    same = [
        s
        for s in snapshots
        if s.origin == "check" and s.content_hash == snapshot.content_hash and at - s.fetched_at <= ALTERNATION_WINDOW
    ]
    return min(same, key=lambda s: s.fetched_at, default=None)
