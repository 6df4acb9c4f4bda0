"""`watcher report`: one self-contained HTML page (no network needed to view it) per school.

For each ranking: the latest standing, the rank-by-edition chart and table, the school's
neighbourhood in the latest list, peers, criteria changes, the ready paragraph, and every source
with its fetch time.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from watcher.config import SchoolConfig
from watcher.french.chart import rank_chart_png
from watcher.french.prose import Prose, prose
from watcher.french.render import figures, template_env
from watcher.french.words import number, of, ordinal, paris_time
from watcher.model import Alert, IndicatorChange, Row, Snapshot, Standing
from watcher.news.diff import diff
from watcher.news.identity import find_school
from watcher.news.rules import alerts_for
from watcher.news.series import in_order, previous_edition, school_history
from watcher.news.series import latest as newest

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
    latest = newest(snapshots)
    assert latest is not None
    row = find_school(latest, school)
    series = tuple(school_history(snapshots, school))
    png = rank_chart_png(series)
    previous = previous_edition(snapshots, latest.edition)
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
        sources=tuple(in_order(snapshots)),
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
        of=of,
    )
