"""The site's layouts as data, the parser that applies them, and the gate that proves a list whole."""

from watcher.layouts.engine import ListPage, parse_list_page
from watcher.layouts.gate import MIN_ROWS, assemble, derive_ranks, next_to_read, read_saved
from watcher.layouts.spec import Layout, builtin_layouts, layout_from_table, merged
from watcher.layouts.text import french_number, out_of
from watcher.layouts.urls import same_list

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
