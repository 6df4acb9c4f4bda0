"""Which row is the watched school (or a peer): by slug, name or alias, following a rename across snapshots. Pure."""

from __future__ import annotations

from watcher.config import SchoolConfig
from watcher.model import Row, Snapshot, normalize_name


def _matches(row: Row, school: SchoolConfig) -> bool:
    # The slug or any of the names: a school whose page address changed is still found by its name.
    if school.slug and row.slug == school.slug:
        return True
    names = {normalize_name(n) for n in (school.name, *school.aliases)}
    return normalize_name(row.name) in names or normalize_name(row.bare_name) in names


def find_school(snapshot: Snapshot, school: SchoolConfig, also: Row | None = None) -> Row | None:
    """The watched school's row, by slug or name; `also` (its row elsewhere) follows renames."""
    for row in snapshot.rows:
        if _matches(row, school) or (also is not None and row.key == also.key):
            return row
    return None


def find_in_pair(old: Snapshot | None, new: Snapshot, school: SchoolConfig) -> tuple[Row | None, Row | None]:
    """The school's rows in two snapshots, each identifying it in the other (a renamed school keeps its slug)."""
    new_row = find_school(new, school)
    old_row = find_school(old, school, also=new_row) if old else None
    if new_row is None and old_row is not None:
        new_row = find_school(new, school, also=old_row)
    return old_row, new_row
