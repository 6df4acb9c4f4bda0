"""`watcher report`: one self-contained HTML page (no network needed to view it) per school.

For each ranking: the latest standing, the rank-by-edition chart and table, the school's
neighbourhood in the latest list, peers, criteria changes, the ready paragraph, and every source
with its fetch time.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .chart import rank_chart_png
from .config import Config, SchoolConfig
from .diff import diff
from .french import number, ordinal, paris_time
from .model import Alert, IndicatorChange, Row, Snapshot, Standing
from .prose import Prose, prose
from .render import figures, template_env
from .rules import alerts_for, find_school, school_history
from .school import indicator_changes
from .store import Store

NEIGHBOURS = 5


@dataclass(frozen=True, slots=True)
class RankingSection:
    name: str
    url: str
    latest: Snapshot
    row: Row | None
    series: tuple[Standing, ...]
    chart: str | None  # data: URI of the PNG
    neighbours: tuple[Row, ...]
    alert: Alert | None  # the latest edition against the one before
    prose: Prose | None
    sources: tuple[Snapshot, ...]


def _neighbours(snapshot: Snapshot, row: Row | None) -> tuple[Row, ...]:
    if row is None:
        return ()
    at = snapshot.rows.index(row)
    return snapshot.rows[max(0, at - NEIGHBOURS) : at + NEIGHBOURS + 1]


def _previous_edition(snapshots: Sequence[Snapshot], latest: Snapshot) -> Snapshot | None:
    older = [s for s in snapshots if s.edition < latest.edition]
    return max(older, key=lambda s: (s.edition, s.fetched_at)) if older else None


def section(
    name: str,
    snapshots: Sequence[Snapshot],
    school: SchoolConfig,
    indicators: tuple[IndicatorChange, ...] = (),
) -> RankingSection | None:
    """Everything the report says about one ranking; None when it has no snapshot yet.

    `indicators` are the school page's changes since the previous edition.
    """
    if not snapshots:
        return None
    latest = max(snapshots, key=lambda s: (s.edition, s.fetched_at))
    row = find_school(latest, school)
    series = tuple(school_history(snapshots, school))
    png = rank_chart_png(series)
    previous = _previous_edition(snapshots, latest)
    alert = None
    if previous is not None:
        found = alerts_for(previous, latest, diff(previous, latest), school, past=snapshots)
        alert = replace(found[0], indicators=indicators) if found else None
    return RankingSection(
        name=name,
        url=latest.url,
        latest=latest,
        row=row,
        series=series,
        chart=f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else None,
        neighbours=_neighbours(latest, row),
        alert=alert,
        prose=prose(alert) if alert else None,
        sources=tuple(sorted(snapshots, key=lambda s: (s.edition, s.fetched_at))),
    )


def render_report(school: SchoolConfig, sections: Sequence[RankingSection], generated: datetime) -> str:
    """The report's HTML, every scraped string escaped."""
    template = template_env().get_template("report.html")
    return template.render(
        school=school.name,
        sections=sections,
        generated=paris_time(generated),
        figures=figures,
        number=number,
        ordinal=ordinal,
        paris_time=paris_time,
    )


def write_report(config: Config, store: Store, output: Path) -> Path:
    """Build the report from the database and write it to `output`."""
    names = [r.name for r in config.rankings]
    names += [n for n in store.rankings() if n not in names]
    sections = []
    for name in names:
        snapshots = store.snapshots(name)
        latest = max(snapshots, key=lambda s: (s.edition, s.fetched_at)) if snapshots else None
        row = find_school(latest, config.school) if latest else None
        changes: tuple[IndicatorChange, ...] = ()
        if latest and row:
            current = store.latest_school_page(row.page_key)
            before = store.latest_school_page(row.page_key, before_edition=latest.edition)
            changes = indicator_changes(before, current) if current and before else ()
        if found := section(name, snapshots, config.school, changes):
            sections.append(found)
    output.write_text(render_report(config.school, sections, datetime.now(UTC)), encoding="utf-8")
    return output
