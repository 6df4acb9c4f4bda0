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
from watcher.french.chart import NARROW, WIDE, Size, rank_chart_png
from watcher.french.prose import Prose, prose
from watcher.french.render import figures, template_env
from watcher.french.words import of, ordinal, paris_time, points, spaced
from watcher.model import Alert, IndicatorChange, Row, Snapshot, Standing
from watcher.news.diff import diff
from watcher.news.figures import point_digits
from watcher.news.identity import find_school
from watcher.news.rules import alerts_for
from watcher.news.series import in_order, missing_editions, previous_edition, school_history
from watcher.news.series import latest as newest

NEIGHBOURS = 5
SHARP = 2  # the report's charts are drawn at twice their size, for phones' and laptops' dense screens


@dataclass(frozen=True, slots=True)
class Chart:
    """The rank chart as data: URIs, one drawn for wide screens and one for a phone's width."""

    wide: str
    narrow: str
    wide_size: Size = WIDE
    narrow_size: Size = NARROW


def _chart(series: Sequence[Standing]) -> Chart | None:
    wide, narrow = rank_chart_png(series, WIDE, SHARP), rank_chart_png(series, NARROW, SHARP)
    if wide is None or narrow is None:
        return None
    return Chart(wide=_data_uri(wide), narrow=_data_uri(narrow))


def _data_uri(png: bytes) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode()}"


@dataclass(frozen=True, slots=True)
class RankingSection:
    name: str
    url: str
    latest: Snapshot
    row: Row | None
    series: tuple[Standing, ...]
    chart: Chart | None
    neighbours: tuple[Row, ...]
    alert: Alert | None  # the latest edition against the one before
    prose: Prose | None
    sources: tuple[Snapshot, ...]
    digits: int  # decimals of every point figure of this ranking, as its lists write them
    gap_before: dict[int, str]  # edition → the editions just before it of which no list was read ("2022 à 2024")


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
        chart=_chart(series),
        neighbours=_neighbours(latest, row),
        alert=alert,
        prose=prose(alert) if alert else None,
        sources=tuple(in_order(snapshots)),
        digits=point_digits(r for snapshot in snapshots for r in snapshot.rows),
        gap_before={
            last + 1: str(first) if first == last else f"{first} à {last}" for first, last in missing_editions(series)
        },
    )


def render_report(school: SchoolConfig, sections: Sequence[RankingSection], generated: datetime) -> str:
    """The report's HTML, every scraped string escaped."""
    template = template_env().get_template("report.html")
    html = template.render(
        school=school.name,
        sections=sections,
        generated=paris_time(generated),
        figures=figures,
        points=points,
        ordinal=ordinal,
        paris_time=paris_time,
        of=of,
    )
    # French spacing in the text, not in the stylesheet (where " :" would be a syntax of its own).
    style, _, body = html.rpartition("</style>")
    return f"{style}</style>{spaced(body)}" if style else spaced(body)
