"""The school's rank by edition as a PNG line chart, rank 1 at the top.

Matplotlib is heavy (tens of MB): it is imported here only, when a chart is drawn, never at
start-up or on an unchanged check.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from .french import ordinal
from .model import Standing


def rank_chart_png(series: Sequence[Standing], school: str, ranking: str) -> bytes | None:
    """A 600×300 px PNG of the school's rank per edition; None when fewer than two editions rank it."""
    ranked = [s for s in series if s.row is not None]
    if len(ranked) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display: draw to memory
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    editions = [s.edition for s in ranked]
    ranks = [s.row.rank for s in ranked if s.row is not None]
    fig = Figure(figsize=(6, 3), dpi=100)
    ax = fig.add_subplot()
    ax.plot(editions, ranks, marker="o", color="#1f4e8c", linewidth=2)
    for s in ranked:
        assert s.row is not None
        ax.annotate(
            ordinal(s.row.rank, s.row.tied),
            (s.edition, s.row.rank),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=9,
        )
    missing = [s.edition for s in series if s.row is None]
    for edition in missing:
        ax.axvline(edition, color="#bbbbbb", linestyle=":", linewidth=1)
    ax.invert_yaxis()  # rank 1 at the top
    top, bottom = min(ranks), max(ranks)
    margin = max(2, (bottom - top) // 5)
    ax.set_ylim(bottom + margin, max(0.5, top - margin))
    ax.set_xticks([s.edition for s in series])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Rang")
    ax.set_title(f"{school} — {ranking}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
