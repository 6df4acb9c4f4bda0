"""Which row is the watched school (or a peer): by slug, name or alias, following a rename across snapshots. Pure."""

from __future__ import annotations

import re
from functools import lru_cache

from watcher.config import SchoolConfig
from watcher.model import Row, Snapshot, normalize_name
from watcher.settings import SubsetConfig

# Every check looks for the school and its peers among the same 170 names: each name is folded once, not each time.
_folded = lru_cache(maxsize=4096)(normalize_name)


def _matches(row: Row, school: SchoolConfig, names: frozenset[str]) -> bool:
    # The slug or any of the names: a school whose page address changed is still found by its name.
    if school.slug and row.slug == school.slug:
        return True
    return _folded(row.name) in names or _folded(row.bare_name) in names


def find_school(snapshot: Snapshot, school: SchoolConfig, also: Row | None = None) -> Row | None:
    """The watched school's row, by slug or name; `also` (its row elsewhere) follows renames."""
    names = frozenset(_folded(n) for n in (school.name, *school.aliases))
    for row in snapshot.rows:
        if _matches(row, school, names) or (also is not None and row.key == also.key):
            return row
    return None


def find_in_pair(old: Snapshot | None, new: Snapshot, school: SchoolConfig) -> tuple[Row | None, Row | None]:
    """The school's rows in two snapshots, each identifying it in the other (a renamed school keeps its slug)."""
    new_row = find_school(new, school)
    old_row = find_school(old, school, also=new_row) if old else None
    if new_row is None and old_row is not None:
        new_row = find_school(new, school, also=old_row)
    return old_row, new_row


def subset_members(snapshot: Snapshot, subset: SubsetConfig, school: Row) -> list[Row]:
    """The rows of `snapshot` in `subset` (by name, directory id or city), the watched school's always among them."""
    named = tuple(
        SchoolConfig(name=n, slug=n if re.fullmatch(r"\d+|[a-z0-9]+(?:-[a-z0-9]+)+", n) else None)
        for n in subset.schools
    )
    members = [(member, frozenset({_folded(member.name)})) for member in named]
    cities = {_folded(c) for c in subset.cities}
    return [
        row
        for row in snapshot.rows
        if row.key == school.key
        or any(_matches(row, member, names) for member, names in members)
        or (row.city is not None and _folded(row.city) in cities)
    ]
