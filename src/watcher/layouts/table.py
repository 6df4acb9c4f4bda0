"""Table columns found by their header labels (colspan and rowspan honoured), for `col:` fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import Tag

from watcher.errors import ParseRefused
from watcher.layouts.find import Page
from watcher.layouts.spec import Layout
from watcher.layouts.text import text_of
from watcher.model import normalize_name


def own_cells(tr: Tag) -> list[Tag]:
    """The row's own cells (not those of a table nested in one)."""
    return [c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]


def _span(cell: Tag, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr) or 1)), 50))
    except ValueError:
        return 1


def expand(cells: list[Tag]) -> list[Tag]:
    """One entry per column: a cell spanning three columns is listed three times."""
    out: list[Tag] = []
    for cell in cells:
        if "colspan" in cell.attrs:
            out.extend([cell] * _span(cell, "colspan"))
        else:
            out.append(cell)  # the usual cell, one column
    return out


def _header_labels(header_rows: list[Tag]) -> list[list[str]]:
    """Each column's labels from top to bottom, honouring colspan and rowspan."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(header_rows):
        c = 0
        for cell in own_cells(tr):
            while (r, c) in grid:
                c += 1
            text = text_of(cell)
            for dr in range(_span(cell, "rowspan")):
                for dc in range(_span(cell, "colspan")):
                    grid[(r + dr, c + dc)] = text
            c += _span(cell, "colspan")
    width = max((c for _, c in grid), default=-1) + 1
    columns: list[list[str]] = []
    for c in range(width):
        labels: list[str] = []
        for r in range(len(header_rows)):
            label = grid.get((r, c), "")
            if label and label not in labels:
                labels.append(label)
        columns.append(labels)
    return columns


ROW_FIELDS = ("rank", "school", "total", "city", "group_field")  # the fields that can name a column
REQUIRED = ("rank", "school", "total")  # a column the layout names for these must be there


def _out_of(column: list[str]) -> float:
    """The maximum a column's labels announce ("Note sur 63" → 63), 0 without one."""
    for label in reversed(column):
        match = re.search(r"sur\s+(\d+(?:[.,]\d+)?)", label)
        if match:
            return float(match.group(1).replace(",", "."))
    return 0.0


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each `col:` field of a layout is in this page's table."""

    index: dict[str, int]
    criteria: tuple[tuple[int, str], ...]
    width: int


def columns(doc: Page, layout: Layout, where: str) -> Columns | None:
    """Where the layout's `col:` fields are in this page's table; None when it has none; refused when missing."""
    specs = {k: v for k in ROW_FIELDS if (v := getattr(layout, k)) and v.startswith("col:")}
    if not specs and layout.criteria != "col:*":
        return None
    header_rows = doc.select(str(layout.header))
    head = [tr for tr in header_rows if tr.parent is header_rows[0].parent]  # one table's header
    if not head:
        raise ParseRefused(f"the ranking table has no header row ({layout.header}): the layout has changed", url=where)
    labels = _header_labels(head)

    def find(spec: str) -> int | None:
        words = tuple(normalize_name(w) or w for w in spec[4:].split("|"))

        def fits(label: str) -> bool:
            return normalize_name(label).startswith(words) or label.strip() in words

        # A column's own label (its lowest) wins over a heading spanning several ("Notes (sur 20 points)" over the
        # criteria); among several, the one out of the largest maximum ("Note sur 63" is the total, not a criterion).
        own = [i for i, column in enumerate(labels) if column and fits(column[-1])]
        spanning = [i for i, column in enumerate(labels) if any(fits(label) for label in column)]
        found = own or spanning
        return max(found, key=lambda i: (_out_of(labels[i]), -i)) if found else None

    index = {key: find(spec) for key, spec in specs.items()}
    missing = [spec[4:].split("|")[0] for key, spec in specs.items() if index[key] is None and key in REQUIRED]
    if missing:
        seen = " | ".join(" / ".join(col) or "(empty)" for col in labels)
        raise ParseRefused(
            f"the ranking table's headers are not the expected ones: no column for {', '.join(missing)}; "
            f"headers found: {seen}. The page layout has probably changed",
            url=where,
        )
    found = {k: i for k, i in index.items() if i is not None}
    used = set(found.values())
    criteria = (
        tuple((i, col[-1]) for i, col in enumerate(labels) if i not in used and col)
        if layout.criteria == "col:*"
        else ()
    )
    return Columns(found, criteria, len(labels))
