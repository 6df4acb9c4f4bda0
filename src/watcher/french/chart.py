"""The school's rank by edition as a small PNG line chart, rank 1 at the top, drawn with Pillow.

Pillow rather than matplotlib: a chart of a handful of points does not need matplotlib's 35 MB and
numpy, which the daemon would carry for the rest of its life after the first alert.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from watcher.french.words import ordinal
from watcher.model import Standing

if TYPE_CHECKING:
    from PIL import ImageFont

WIDTH, HEIGHT = 600, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 34, 36
INK, LINE, GRID, MISSING = (34, 34, 34), (31, 78, 140), (225, 225, 225), (170, 170, 170)
STEPS = (1, 2, 5, 10, 20, 25, 50, 100)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # a scalable font (Pillow ≥ 10.1 with FreeType)
    except TypeError:  # pragma: no cover - older Pillow: the fixed bitmap font
        return ImageFont.load_default()


def _ticks(top: int, bottom: int) -> list[int]:
    step = next((s for s in STEPS if (bottom - top) / s <= 8), STEPS[-1])
    first = (top + step - 1) // step * step
    return list(range(max(first, 1), bottom + 1, step))


def rank_chart_png(series: Sequence[Standing]) -> bytes | None:
    """A 600×300 PNG of the school's rank per edition; None when fewer than two editions rank it.

    The image holds only numbers (Pillow's built-in font has no accents): the school and the ranking are
    named by the HTML around it.
    """
    ranked = [(s.edition, s.row.rank, s.row.tied) for s in series if s.row is not None]
    if len(ranked) < 2:
        return None
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    small = _font(12)
    ranks = [rank for _, rank, _ in ranked]
    margin = max(2, (max(ranks) - min(ranks)) // 5)
    top, bottom = max(1, min(ranks) - margin), max(ranks) + margin
    editions = [s.edition for s in series]
    first, last = min(editions), max(editions)

    def x(edition: int) -> float:
        return LEFT + 20 + (WIDTH - LEFT - RIGHT - 40) * (edition - first) / max(1, last - first)

    def y(rank: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (rank - top) / max(1, bottom - top)

    for rank in _ticks(top, bottom):
        draw.line([(LEFT, y(rank)), (WIDTH - RIGHT, y(rank))], fill=GRID)
        draw.text((LEFT - 8, y(rank)), str(rank), fill=INK, font=small, anchor="rm")
    draw.line([(LEFT, TOP - 6), (LEFT, HEIGHT - BOTTOM)], fill=INK)
    draw.line([(LEFT, HEIGHT - BOTTOM), (WIDTH - RIGHT, HEIGHT - BOTTOM)], fill=INK)
    draw.text((LEFT - 8, TOP - 14), "Rang", fill=INK, font=small, anchor="rm")
    for standing in series:
        px = x(standing.edition)
        draw.text((px, HEIGHT - BOTTOM + 8), str(standing.edition), fill=INK, font=small, anchor="mt")
        if standing.row is None:  # not ranked that edition: a dotted line, no point
            for dy in range(TOP, HEIGHT - BOTTOM, 6):
                draw.line([(px, dy), (px, dy + 2)], fill=MISSING)
    points = [(x(edition), y(rank)) for edition, rank, _ in ranked]
    draw.line(points, fill=LINE, width=3, joint="curve")
    for (px, py), (_, rank, tied) in zip(points, ranked, strict=True):
        draw.ellipse([(px - 5, py - 5), (px + 5, py + 5)], fill=LINE)
        draw.text((px, py - 9), ordinal(rank, tied), fill=INK, font=small, anchor="mb")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
