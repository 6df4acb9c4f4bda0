"""The school's rank by edition as a small PNG line chart, rank 1 at the top, drawn with Pillow.

Two sizes, for a wide screen (and the email) and for a phone; each point's label is placed off the line.

Pillow rather than matplotlib: a chart of a handful of points does not need matplotlib's 35 MB and
numpy, which the daemon would carry for the rest of its life after the first alert.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from watcher.french.words import ordinal
from watcher.model import Standing

if TYPE_CHECKING:
    from PIL import ImageFont

Point = tuple[float, float]
Size = tuple[int, int]

# In CSS pixels; the PNG is `scale` times larger, so that it stays sharp on a phone's dense screen.
WIDE: Size = (600, 300)  # the email's, `history --chart`'s, the report's on a wide screen
NARROW: Size = (360, 300)  # the report's on a phone: at 600 px scaled down to 343, the text would be 7 px high
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 34, 36  # the axes' frame within the image
FONT, DOT, STROKE = 12, 5, 3  # text size, a point's radius, the line's width
GAP = DOT + 3  # from a point's centre to the near edge of its label
CORNER = DOT + 2  # a label slid to a corner ends this far beside the point, clear of the other side's segment
CLEAR = STROKE / 2 + 2  # the least room left between a label and the line
PAD = GAP + FONT + 8  # room inside the frame above the best rank and below the worst, for their labels
INK, LINE, GRID, MISSING = (34, 34, 34), (31, 78, 140), (225, 225, 225), (170, 170, 170)
STEPS = (1, 2, 5, 10, 20, 25, 50, 100)


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in image coordinates (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    def grown(self, by: float) -> Box:
        return Box(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )

    def within(self, other: Box) -> bool:
        return (
            other.left <= self.left
            and self.right <= other.right
            and other.top <= self.top
            and self.bottom <= other.bottom
        )

    def crossed_by(self, a: Point, b: Point) -> bool:
        """Whether the segment a–b enters the box (Liang–Barsky clipping)."""
        start, end = 0.0, 1.0
        dx, dy = b[0] - a[0], b[1] - a[1]
        for p, q in (
            (-dx, a[0] - self.left),
            (dx, self.right - a[0]),
            (-dy, a[1] - self.top),
            (dy, self.bottom - a[1]),
        ):
            if p == 0:
                if q < 0:  # parallel to this edge and outside it
                    return False
                continue
            t = q / p
            if p < 0:
                start = max(start, t)
            else:
                end = min(end, t)
            if start > end:
                return False
        return True


def _candidates(x: float, y: float, w: float, h: float, above_first: bool) -> list[Box]:
    """Where a label may go, best first: near the point on its preferred side, centred, then slid along."""

    def row(top: float) -> list[Box]:
        step = (w / 2 + CORNER) / 4  # slid by quarters, up to a corner (the label's edge just past the point)
        slides = [0.0, *(k * sign * step for k in range(1, 5) for sign in (1, -1))]
        return [Box(x - w / 2 + s, top, x + w / 2 + s, top + h) for s in slides]

    found: list[Box] = []
    for away in (GAP, GAP + h / 2, GAP + h, GAP + 2 * h):
        above, below = row(y - away - h), row(y + away)
        found += above + below if above_first else below + above
    return [*found, Box(x + GAP, y - h / 2, x + GAP + w, y + h / 2), Box(x - GAP - w, y - h / 2, x - GAP, y + h / 2)]


def place_labels(points: Sequence[Point], sizes: Sequence[tuple[float, float]], frame: Box) -> list[Box | None]:
    """Each point's label box: inside the frame, off the line, the points and the other labels; else None.

    A label goes on the side away from its neighbours (above a peak, below a dip), else slid into a free
    corner (a point's own two segments always leave two free); the newest editions are placed first, and
    a label with no free place on a crowded chart is left out (the table under the chart has every rank).
    """
    segments = list(itertools.pairwise(points))
    dots = [Box(px - DOT - 1, py - DOT - 1, px + DOT + 1, py + DOT + 1) for px, py in points]
    placed: list[Box | None] = [None] * len(points)
    for i in reversed(range(len(points))):
        (x, y), (w, h) = points[i], sizes[i]
        around = [points[j][1] for j in (i - 1, i + 1) if 0 <= j < len(points)]
        above_first = not around or y <= sum(around) / len(around)
        taken = [box.grown(2) for box in placed if box is not None]
        placed[i] = next(
            (
                box
                for box in _candidates(x, y, w, h, above_first)
                if box.within(frame)
                and not any(box.grown(CLEAR).crossed_by(a, b) for a, b in segments)
                and not any(box.overlaps(other) for other in (*dots, *taken))
            ),
            None,
        )
    return placed


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything on the chart goes, in CSS pixels."""

    size: Size
    frame: Box
    ticks: tuple[tuple[float, int], ...]  # (y, rank) of each grid line
    editions: tuple[tuple[float, int, bool, bool], ...]  # (x, edition, ranked, named under the axis)
    points: tuple[Point, ...]
    labels: tuple[tuple[str, Box | None], ...]  # each point's label and its place (None: left out)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # a scalable font (Pillow ≥ 10.1 with FreeType)
    except TypeError:  # pragma: no cover - older Pillow: the fixed bitmap font
        return ImageFont.load_default()


def _measure(scale: int) -> Callable[[str], tuple[float, float]]:
    """A label's size in CSS pixels, measured with the font it is drawn in."""
    font = _font(FONT * scale)

    def size(text: str) -> tuple[float, float]:
        _, _, right, bottom = font.getbbox(text, anchor="lt")
        return right / scale, bottom / scale

    return size


def _ticks(top: int, bottom: int) -> list[int]:
    step = next((s for s in STEPS if (bottom - top) / s <= 8), STEPS[-1])
    first = (top + step - 1) // step * step
    return list(range(max(first, 1), bottom + 1, step))


def _written(marks: Sequence[tuple[float, int]], measure: Callable[[str], tuple[float, float]]) -> set[int]:
    """The editions named under the axis: the newest, the first, then the others where they fit."""
    kept: list[Box] = []
    written: set[int] = set()
    for mx, edition in [marks[-1], marks[0], *reversed(marks[1:-1])]:
        w, h = measure(str(edition))
        box = Box(mx - w / 2 - 3, 0, mx + w / 2 + 3, h)
        if not any(box.overlaps(other) for other in kept):
            kept.append(box)
            written.add(edition)
    return written


def chart_layout(series: Sequence[Standing], size: Size = WIDE, scale: int = 1) -> Layout | None:
    """The chart's geometry for a series; None when fewer than two editions rank the school."""
    ranked = [(s.edition, s.row.rank, s.row.tied) for s in series if s.row is not None]
    if len(ranked) < 2:
        return None
    width, height = size
    frame = Box(LEFT, TOP, width - RIGHT, height - BOTTOM)
    measure = _measure(scale)
    texts = [ordinal(rank, tied) for _, rank, tied in ranked]
    sizes = [measure(text) for text in texts]
    ranks = [rank for _, rank, _ in ranked]
    margin = max(1, (max(ranks) - min(ranks)) // 10)  # PAD already leaves room for the labels
    top, bottom = max(1, min(ranks) - margin), max(ranks) + margin
    editions = [s.edition for s in series]
    first, last = min(editions), max(editions)
    # Room for the first label centred on its point, and for the newest one wholly to the right of its
    # point, where no segment goes: however crowded the chart, the latest rank is always written.
    inset_left = max(20.0, sizes[0][0] / 2 + 4)
    inset_right = max(20.0, sizes[-1][0] + CORNER + 2)

    def x(edition: int) -> float:
        span = frame.right - frame.left - inset_left - inset_right
        return frame.left + inset_left + span * (edition - first) / max(1, last - first)

    def y(rank: float) -> float:
        return frame.top + PAD + (frame.bottom - frame.top - 2 * PAD) * (rank - top) / max(1, bottom - top)

    points = tuple((x(edition), y(rank)) for edition, rank, _ in ranked)
    boxes = place_labels(points, sizes, frame)
    written = _written([(x(edition), edition) for edition in editions], measure)
    return Layout(
        size=size,
        frame=frame,
        ticks=tuple((y(rank), rank) for rank in _ticks(top, bottom)),
        editions=tuple((x(s.edition), s.edition, s.row is not None, s.edition in written) for s in series),
        points=points,
        labels=tuple(zip(texts, boxes, strict=True)),
    )


def rank_chart_png(series: Sequence[Standing], size: Size = WIDE, scale: int = 1) -> bytes | None:
    """A PNG of the school's rank per edition, `size` times `scale` pixels; None with fewer than two ranks.

    The image holds only numbers (Pillow's built-in font has no accents): the school and the ranking are
    named by the HTML around it.
    """
    layout = chart_layout(series, size, scale)
    if layout is None:
        return None
    from PIL import Image, ImageDraw

    def at(x: float, y: float) -> Point:
        return x * scale, y * scale

    frame, font = layout.frame, _font(FONT * scale)
    image = Image.new("RGB", (size[0] * scale, size[1] * scale), "white")
    draw = ImageDraw.Draw(image)
    for ty, rank in layout.ticks:
        draw.line([at(frame.left, ty), at(frame.right, ty)], fill=GRID, width=scale)
        draw.text(at(frame.left - 8, ty), str(rank), fill=INK, font=font, anchor="rm")
    draw.line([at(frame.left, frame.top - 6), at(frame.left, frame.bottom)], fill=INK, width=scale)
    draw.line([at(frame.left, frame.bottom), at(frame.right, frame.bottom)], fill=INK, width=scale)
    draw.text(at(frame.left - 8, frame.top - 14), "Rang", fill=INK, font=font, anchor="rm")
    for ex, edition, ranked, named in layout.editions:
        if named:  # a phone's narrow chart has no room for every year of a long series
            draw.text(at(ex, frame.bottom + 8), str(edition), fill=INK, font=font, anchor="mt")
        if not ranked:  # not ranked that edition: a dotted line, no point
            for dy in range(int(frame.top), int(frame.bottom), 6):
                draw.line([at(ex, dy), at(ex, dy + 2)], fill=MISSING, width=scale)
    draw.line([at(*p) for p in layout.points], fill=LINE, width=STROKE * scale, joint="curve")
    for px, py in layout.points:
        draw.ellipse([at(px - DOT, py - DOT), at(px + DOT, py + DOT)], fill=LINE)
    for text, box in layout.labels:
        if box is not None:
            draw.text(at(box.left, box.top), text, fill=INK, font=font, anchor="lt")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
