"""The site's layouts as data, the parser that applies them, and the gate that proves a list whole.

Each name is imported from its module on first use: a check whose pages answer 304 never loads the HTML parser.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.layouts.engine import ListPage, parse_list_page
    from watcher.layouts.gate import MIN_ROWS, assemble, derive_ranks, next_to_read, read_saved
    from watcher.layouts.spec import Layout, builtin_layouts, layout_from_table, merged
    from watcher.layouts.text import french_number, out_of
    from watcher.layouts.urls import same_list

_HOMES = {
    "ListPage": "engine",
    "parse_list_page": "engine",
    "MIN_ROWS": "gate",
    "assemble": "gate",
    "derive_ranks": "gate",
    "next_to_read": "gate",
    "read_saved": "gate",
    "Layout": "spec",
    "builtin_layouts": "spec",
    "layout_from_table": "spec",
    "merged": "spec",
    "french_number": "text",
    "out_of": "text",
    "same_list": "urls",
}

__all__ = [
    "MIN_ROWS",
    "Layout",
    "ListPage",
    "assemble",
    "builtin_layouts",
    "derive_ranks",
    "french_number",
    "layout_from_table",
    "merged",
    "next_to_read",
    "out_of",
    "parse_list_page",
    "read_saved",
    "same_list",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"watcher.layouts.{_HOMES[name]}"), name)
