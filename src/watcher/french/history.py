"""The watched school's rank edition by edition, as a table, CSV or JSON. Pure: standings in, text out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from watcher.french.words import number, ordinal, paris_time
from watcher.model import Standing


def format_history(ranking: str, entries: Sequence[Standing], school: str = "") -> str:
    """A plain table, one line per edition, under the school's and the ranking's names."""
    title = f"{school} — {ranking}" if school else ranking
    if not entries:
        return f"{title}\n  no snapshot yet: run `watcher check` first\n"
    lines = [title, f"  {'edition':<8} {'rank':<14} {'points':>7}  {'group':<6} {'schools':>7}  fetched"]
    for e in entries:
        if e.row is None:
            rank, points, group = "not ranked", "", ""
        else:
            rank, points, group = ordinal(e.row.rank, e.row.tied), number(e.row.total), e.row.group or ""
        when = f"imported from a copy saved {paris_time(e.fetched_at)}" if e.imported else paris_time(e.fetched_at)
        lines.append(f"  {e.edition:<8} {rank:<14} {points:>7}  {group:<6} {e.count:>7}  {when}")
    return "\n".join(lines) + "\n"


FIELDS = ("school", "ranking", "edition", "rank", "ex_aequo", "points", "group", "schools", "fetched_at", "source")


def history_records(ranking: str, entries: Sequence[Standing], school: str) -> list[dict[str, object]]:
    """One flat record per edition, for CSV and JSON (absent editions have an empty rank, never 0).

    `school` is the name as listed in that edition, else the configured name.
    """
    return [
        {
            "school": e.row.bare_name if e.row else school,
            "ranking": ranking,
            "edition": e.edition,
            "rank": e.row.rank if e.row else None,
            "ex_aequo": e.row.tied if e.row else None,
            "points": e.row.total if e.row else None,
            "group": e.row.group if e.row else None,
            "schools": e.count,
            "fetched_at": e.fetched_at.isoformat(),
            "source": e.url,
        }
        for e in entries
    ]


def to_csv(records: Sequence[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def to_json(records: Sequence[dict[str, object]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
