"""The watched school's rank edition by edition, as a table, CSV or JSON. Pure: standings in, text out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from watcher.french.words import ordinal, paris_time, points
from watcher.model import Standing
from watcher.news.series import missing_editions


def format_history(ranking: str, entries: Sequence[Standing], school: str = "", digits: int = 1) -> str:
    """A plain table, one line per edition, under the school's and the ranking's names; the editions of which no
    list was read between the first and the last are said, with how to fill them. Points have `digits` decimals."""
    title = f"{school} — {ranking}" if school else ranking
    if not entries:
        return f"{title}\n  no snapshot yet: run `watcher check` first\n"
    lines: list[tuple[int, str]] = []
    for e in entries:
        if e.row is None:
            rank, score, group = "not ranked", "", ""
        else:
            rank, score, group = ordinal(e.row.rank, e.row.tied), points(e.row.total, digits), e.row.group or ""
        when = f"imported from a copy saved {paris_time(e.fetched_at)}" if e.imported else paris_time(e.fetched_at)
        lines.append((e.edition, f"  {e.edition:<9} {rank:<14} {score:>7}  {group:<6} {e.count:>7}  {when}"))
    for first, last in missing_editions(entries):
        years = str(first) if first == last else f"{first}–{last}"
        lines.append((first, f"  {years:<9} no list read (import a saved copy: watcher import FILE --edition YEAR)"))
    header = f"  {'edition':<9} {'rank':<14} {'points':>7}  {'group':<6} {'schools':>7}  fetched"
    return "\n".join([title, header, *(line for _, line in sorted(lines))]) + "\n"


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
