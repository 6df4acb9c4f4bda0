"""The rank chart: each point's label off the line, off the points and inside the axes, at both sizes."""

from __future__ import annotations

import io
import itertools
import math
import random
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageFont

from watcher.french.chart import DOT, NARROW, STROKE, WIDE, Box, Layout, chart_layout, place_labels, rank_chart_png
from watcher.model import Row, Standing

WHEN = datetime(2026, 1, 20, 6, 2, tzinfo=UTC)
SIZES = {"wide": WIDE, "narrow": NARROW}


def series(*points: tuple[int, int | None] | tuple[int, int, bool]) -> list[Standing]:
    """(edition, rank or None when not ranked, tied) → the school's standings."""
    out = []
    for edition, rank, *tied in points:
        row = Row(rank, "IMT Mines Alès", tied=bool(tied and tied[0])) if rank is not None else None
        out.append(Standing(edition, row, 170, WHEN))
    return out


SHAPES = {
    "the demo's climb over missing years": series((2020, 33), (2021, 27), (2025, 21), (2026, 15)),
    "a zigzag with ties and a leap to 1st": series(
        (2016, 62), (2017, 51, True), (2018, 55), (2019, 40), (2020, 33), (2021, 27, True), (2022, 1), (2023, 2)
    ),
    "a peak and a dip": series((2018, 40), (2019, 10), (2020, 40), (2021, 70), (2022, 40)),
    "the same rank three times": series((2019, 12), (2020, 12), (2021, 12)),
    "a fall and a rise, steep": series((2019, 1), (2020, 150), (2021, 2)),
    "first, tied, then third": series((2020, 1), (2021, 1, True), (2022, 3)),
    "a year not ranked": series((2019, 40), (2020, None), (2021, 30), (2022, 31, True)),
    "two editions": series((2020, 33), (2021, 27)),
    "every year since 2010": series(*((year, 30 + (year % 3) * 9 - (year - 2010)) for year in range(2010, 2027))),
}


def distance(box: Box, x: float, y: float) -> float:
    return math.hypot(max(box.left - x, 0.0, x - box.right), max(box.top - y, 0.0, y - box.bottom))


def to_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy or 1.0)))
    return math.hypot(x - a[0] - t * dx, y - a[1] - t * dy)


def cross(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]) -> bool:
    """Whether segments a–b and c–d intersect (orientation tests)."""

    def turn(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return turn(a, b, c) * turn(a, b, d) <= 0 and turn(c, d, a) * turn(c, d, b) <= 0


def line_distance(box: Box, layout: Layout) -> float:
    """How near the drawn line's middle comes to a box: 0 when a segment enters it, else the nearest vertex."""
    corners = [(box.left, box.top), (box.right, box.top), (box.right, box.bottom), (box.left, box.bottom)]
    edges = list(zip(corners, corners[1:] + corners[:1], strict=True))
    nearest = math.inf
    for a, b in itertools.pairwise(layout.points):
        if distance(box, *a) == 0 or any(cross(a, b, c, d) for c, d in edges):
            return 0.0
        nearest = min(nearest, distance(box, *a), distance(box, *b), *(to_segment(*c, a, b) for c in corners))
    return nearest


def problems(layout: Layout) -> list[str]:
    """Every way a placed label is badly placed, checked without the chart's own geometry helpers."""
    found = []
    placed = [(text, box) for text, box in layout.labels if box is not None]
    frame = layout.frame
    for text, box in placed:
        if box.left < frame.left or box.right > frame.right or box.top < frame.top or box.bottom > frame.bottom:
            found.append(f"{text} outside the axes: {box}")
        if (near := line_distance(box, layout)) <= STROKE / 2 + 0.5:
            found.append(f"{text} on the line ({near:.1f} px from its middle): {box}")
        if any(distance(box, px, py) <= DOT for px, py in layout.points):
            found.append(f"{text} on a point: {box}")
    for i, (text, box) in enumerate(placed):
        for other, second in placed[i + 1 :]:
            if max(box.left, second.left) < min(box.right, second.right) and max(box.top, second.top) < min(
                box.bottom, second.bottom
            ):
                found.append(f"{text} on {other}")
    return found


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_every_label_is_written_off_the_line_and_inside_the_axes(shape: list[Standing], size: tuple[int, int]) -> None:
    layout = chart_layout(shape, size)
    assert layout is not None
    assert [text for text, box in layout.labels if box is None] == []  # room for all of them on these
    assert problems(layout) == []


def random_walks(count: int) -> list[list[Standing]]:
    """Schools' series as they move: 2 to 12 editions since 2010, some not ranked, a move of up to 25 places."""
    rng, walks = random.Random(12), []
    for _ in range(count):
        years = sorted(rng.sample(range(2010, 2027), rng.randint(2, 12)))
        rank, points = rng.randint(1, 180), []
        for year in years:
            rank = max(1, min(200, rank + rng.randint(-25, 25)))
            points.append((year, None) if rng.random() < 0.1 else (year, rank, rng.random() < 0.2))
        if sum(p[1] is not None for p in points) >= 2:
            walks.append(series(*points))
    return walks


def test_on_hundreds_of_series_no_label_touches_the_line_and_the_latest_is_always_written() -> None:
    written = left_out = 0
    for walk in random_walks(300):
        for size in SIZES.values():
            layout = chart_layout(walk, size)
            assert layout is not None
            assert problems(layout) == [], [(s.edition, s.row and s.row.rank) for s in walk]
            assert layout.labels[-1][1] is not None  # the newest rank, whatever the crowd
            left_out += sum(box is None for _, box in layout.labels)
            written += sum(box is not None for _, box in layout.labels)
    # A label is left out only where a long series on a phone leaves it no free place.
    assert left_out <= written / 50


def test_a_label_goes_on_the_side_away_from_its_neighbours() -> None:
    frame = Box(0, 0, 400, 300)
    # A peak (its neighbours lower on the chart), then a dip (its neighbours higher).
    points = [(50.0, 150.0), (150.0, 60.0), (250.0, 150.0), (350.0, 60.0)]
    boxes = place_labels(points, [(24.0, 12.0)] * 4, frame)
    peak, dip = boxes[1], boxes[2]
    assert peak is not None and dip is not None
    assert peak.bottom < 60 and abs((peak.left + peak.right) / 2 - 150) < 0.01  # centred above
    assert dip.top > 150 and abs((dip.left + dip.right) / 2 - 250) < 0.01  # centred below


def test_a_point_on_a_steady_climb_has_its_label_in_a_free_corner() -> None:
    """Centred above or below, a label would cut one of the two segments; a corner between them is free."""
    points = [(100.0, 200.0), (140.0, 150.0), (180.0, 100.0)]  # up to the right, 45° and more
    boxes = place_labels(points, [(24.0, 12.0)] * 3, Box(0, 0, 400, 300))
    middle = boxes[1]
    assert middle is not None
    assert middle.right <= 140 or middle.left >= 140  # wholly on one side of the point: a corner
    assert (middle.right <= 140 and middle.bottom <= 150) or (middle.left >= 140 and middle.top >= 150)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_png_draws_each_label_where_it_was_placed_and_no_line_there(size: tuple[int, int]) -> None:
    shape = SHAPES["a zigzag with ties and a leap to 1st"]
    layout = chart_layout(shape, size, scale=2)
    png = rank_chart_png(shape, size, scale=2)
    assert layout is not None and png is not None
    with Image.open(io.BytesIO(png)) as image:
        pixels = image.convert("RGB")
        assert pixels.size == (size[0] * 2, size[1] * 2)
        for text, box in layout.labels:
            assert box is not None
            crop = pixels.crop((round(box.left * 2), round(box.top * 2), round(box.right * 2), round(box.bottom * 2)))
            colours = crop.getcolors(maxcolors=1 << 16) or []
            blue = sum(n for n, (r, g, b) in colours if b - r > 40)  # the line and the points are #1f4e8c
            ink = sum(n for n, (r, g, b) in colours if max(r, g, b) < 120 and b - r <= 40)
            assert blue == 0, f"the line is drawn in the label {text!r}"
            assert ink > 20, f"the label {text!r} is not drawn where it was placed"


def test_a_phones_chart_names_no_year_over_another() -> None:
    layout = chart_layout(SHAPES["every year since 2010"], NARROW)
    assert layout is not None
    named = [(x, edition) for x, edition, _, shown in layout.editions if shown]
    assert named[0][1] == 2010 and named[-1][1] == 2026 and 4 <= len(named) < 17
    width = ImageFont.load_default(size=12).getbbox("2026")[2]
    assert all(b - a > width for (a, _), (b, _) in itertools.pairwise(named))


def test_fewer_than_two_ranked_editions_draw_nothing() -> None:
    assert chart_layout(series((2020, 33), (2021, None))) is None
    assert rank_chart_png(series((2020, 33)), NARROW, 2) is None
