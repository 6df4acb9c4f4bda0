"""What the shells show from the database: the run's summary, the history, the report. Reads; never writes."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from watcher.check import RunResult
from watcher.config import Config
from watcher.french.words import ordinal
from watcher.model import Standing
from watcher.news import series
from watcher.news.figures import point_digits
from watcher.news.identity import find_school
from watcher.news.indicators import since_last_edition
from watcher.news.series import school_history
from watcher.store import Store


def print_run(result: RunResult) -> None:
    """One line per ranking, then what happened to the outbox."""
    for c in result.checks:
        line = f"{c.ranking}: {c.outcome}"
        if c.snapshot is not None:
            line += f" (edition {c.snapshot.edition}, {c.snapshot.count} schools)"
        if c.school_row is not None:
            line += f"; {c.school_row.bare_name} {ordinal(c.school_row.rank, c.school_row.tied)}"
        if c.outcome == "baseline":
            line += "; first check: recorded as the baseline, no alert"
        if c.alerts:
            line += f"; {len(c.alerts)} alert(s) queued"
        print(line)
        if c.error:
            print(f"  error: {c.error}", file=sys.stderr)
            print(
                "  Nothing was recorded for this ranking and the comms team was not alerted; the next check tries "
                "again.",
                file=sys.stderr,
            )
        if c.warning:
            print(f"  warning: {c.warning}", file=sys.stderr)
    d = result.delivery
    if d.sent or d.left_pending:
        print(f"Outbox: {len(d.sent)} sent, {d.left_pending} pending")
    for _, reason in d.failed:
        print(f"  mail not sent now (it stays in the outbox and is retried): {reason}", file=sys.stderr)


def histories(config: Config, store: Store, names: list[str]) -> dict[str, list[Standing]]:
    """The watched school edition by edition, in each named ranking."""
    return {name: school_history(store.snapshots(name), config.school) for name in names}


def history_table(config: Config, store: Store, names: list[str]) -> str:
    """`watcher history`'s table for each named ranking, its points written as that ranking's lists write them."""
    from watcher.french.history import format_history

    tables = []
    for name in names:
        snapshots = store.snapshots(name)
        digits = point_digits(row for snapshot in snapshots for row in snapshot.rows)
        tables.append(format_history(name, school_history(snapshots, config.school), config.school.name, digits))
    return "\n".join(tables)


def write_report(config: Config, store: Store, output: Path) -> Path:
    """Build the report from the database and write it to `output`."""
    from watcher.french.report import render_report, section  # the templates and the chart: for the report alone

    names = [r.name for r in config.rankings]
    names += [n for n in store.rankings() if n not in names]
    sections = []
    for name in names:
        known = store.known(name)
        latest = series.latest(known.snapshots)
        row = find_school(latest, config.school) if latest else None
        changes = since_last_edition(known.school_pages, row.page_key, latest.edition) if latest and row else ()
        if found := section(name, known.snapshots, config.school, changes):
            sections.append(found)
    output.write_text(render_report(config.school, sections, datetime.now(UTC)), encoding="utf-8")
    return output


def lists_table(config: Config, store: Store) -> str:
    """`watcher lists`: each list found linked from a ranking, its edition, the school's rank there, and whether it
    is watched (the school is in it, or it was not read yet) or only read once a day (the school is not in it)."""
    found = store.found_lists()
    if not config.school.discover:
        head = "Discovery is off ([school] discover = false): only the configured rankings are checked."
        if not found:
            return head + "\n"
        return (
            head
            + "\nLists found before (not checked now):\n"
            + "\n".join(f"{f.name}\n  {f.link.url}" for f in found)
            + "\n"
        )
    if not found:
        return "No list found yet: run `watcher check` (the lists are collected from each ranking's page, daily).\n"
    lines = []
    for item in found:
        last = series.latest(store.snapshots(item.name))
        row = find_school(last, config.school) if last else None
        if item.gone_at is not None:
            status = f"no longer linked since {item.gone_at:%Y-%m-%d}: not checked"
        elif last is None:
            status = "not read yet: watched"
        elif row is None:
            status = f"edition {last.edition}, {config.school.name} not listed: read once a day"
        else:
            status = f"edition {last.edition}, {config.school.name} {ordinal(row.rank, row.tied)}: watched"
        lines.append(f"{item.name}\n  {item.link.url}\n  {status}")
    return "\n".join(lines) + "\n"
