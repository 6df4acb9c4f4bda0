"""A layout of the site, as data: which CSS selectors and patterns find each part of a ranking list.

Each layout the site has used is one TOML file in this folder; an operator adds or overrides one with a
`[[layouts]]` table in the config. Both are read by `layout_from_table`, so both are checked alike.

Where a field names a part of one school's row, it is either a CSS selector within the row, or
`col:Label|Other label` for the table column whose header starts with one of those labels
(criteria: `col:*`, every column not used by another field), or `re:PATTERN` for a regular
expression over the row's text (its first group, else the whole match).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

from watcher.errors import LayoutError

DEFAULT_DECLARED = r"(?:classe|rassemble|compte|recense|réunit)\s+(\d{2,4})\s+[ée]coles"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the parts of a ranking list are found on one version of the site."""

    name: str
    match: str  # CSS: present only on pages of this layout
    row: str  # CSS: one element per school, in list order (headings and adverts among them are skipped)
    school: str  # field: the school's name
    edition: str  # CSS: where the page names its edition year
    description: str = ""
    header: str | None = None  # CSS: the header rows, for `col:` fields
    link: str | None = None  # CSS within the row: the link to the school's page
    rank: str | None = None  # field; without it, ranks are derived from the list order
    total: str | None = None  # field
    city: str | None = None  # field
    city_after: str | None = None  # the name carries its city after this separator ("Mines - Nancy")
    criteria: str | None = None  # `col:*`, or CSS within the row: one element per criterion
    criterion_label: str | None = None  # CSS within a criterion element
    criterion_value: str | None = None  # CSS within a criterion element
    group: str | None = None  # regex over a row that is not a school: a group heading, group 1 is the group
    group_field: str | None = None  # field: the school's group, when the row itself gives it (a column)
    next: str | None = None  # CSS: the link to the next page
    pagination: str | None = None  # CSS: links to the list's numbered pages
    page_param: str = "page"  # the query parameter that numbers the pages
    edition_words: tuple[str, ...] = ()  # the edition element must contain one of these words
    declared: str | None = None  # CSS: where the page says how many schools it ranks
    declared_pattern: str = DEFAULT_DECLARED
    school_id: str | None = None  # regex over the link's path: group 1 is the school's stable id
    count: str | None = None  # CSS: one element per school on the page, to check that no school row was missed
    anchor: str | None = None  # CSS: one element inside each school; its row is its nearest ancestor matching `row`
    # CSS: the elements that hold the rows where the selectors cannot tell it (rows found upward from `anchor`):
    # they and what the selectors can match are all that is built into a tree (without it, such a layout gets the
    # whole page). A page whose rows it misses is read again whole.
    part: str | None = None

    @property
    def derives_ranks(self) -> bool:
        """True when the page shows no rank, so ranks come from the list order."""
        return self.rank is None


_REQUIRED = ("name", "match", "row", "school", "edition")
_FIELDS = {f.name for f in fields(Layout)}
_SELECTORS = (
    *("match", "row", "edition", "header", "link"),
    *("criterion_label", "criterion_value", "next", "pagination", "declared", "count", "anchor", "part"),
)
_ROW_FIELDS = ("school", "rank", "total", "city", "group_field")
_PATTERNS = ("group", "declared_pattern", "school_id")


def _check_selector(key: str, value: str) -> None:
    import soupsieve  # its import compiles many patterns: only for a config or a parse that has selectors to check

    try:
        soupsieve.compile(value)
    except (soupsieve.SelectorSyntaxError, NotImplementedError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0]
        raise LayoutError(key, f"{value!r} is not a valid CSS selector ({first})") from exc


def _check_pattern(key: str, value: str, *, group: bool = False) -> None:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise LayoutError(key, f"{value!r} is not a valid regular expression ({exc})") from exc
    if group and compiled.groups < 1:
        raise LayoutError(key, f"{value!r} must put what it reads in parentheses (its group 1)")


def _check_field(key: str, value: str) -> None:
    if value.startswith("col:"):
        if not value[4:].strip() or (value[4:] == "*" and key != "criteria"):
            raise LayoutError(key, f"{value!r} names no column; write col:Label or col:Label|Other label")
    elif value.startswith("re:"):
        _check_pattern(key, value[3:])
    else:
        _check_selector(key, value)


def layout_from_table(table: dict[str, Any]) -> Layout:
    """Check one layout table (from a layout file or the config) and make it a `Layout`."""
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise LayoutError(unknown[0], f"this key is not known (the keys are: {', '.join(sorted(_FIELDS))})")
    for key in _REQUIRED:
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise LayoutError(key, "this key is required: write it as a quoted text")
    for key, value in table.items():
        if key == "edition_words":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise LayoutError(key, 'write a list of words, e.g. ["classement"]')
            continue
        if not isinstance(value, str):
            raise LayoutError(key, "write it as a quoted text")
        if key in _SELECTORS:
            _check_selector(key, value)
        elif key in _ROW_FIELDS or key == "criteria":
            _check_field(key, value)
        elif key in _PATTERNS:
            _check_pattern(key, value, group=True)
        elif key == "page_param" and not re.fullmatch(r"[\w\[\]-]+", value):
            raise LayoutError(key, f'{value!r} is not a query parameter\'s name; write it like "page"')
    criteria = str(table.get("criteria", ""))
    if criteria.startswith(("col:", "re:")) and criteria != "col:*":
        raise LayoutError("criteria", 'write "col:*" (every other column of the table) or a CSS selector')
    columns = [k for k in (*_ROW_FIELDS, "criteria") if str(table.get(k, "")).startswith("col:")]
    if columns and not table.get("header"):
        raise LayoutError(columns[0], "a col: field needs `header`, the selector of the table's header rows")
    if criteria and not criteria.startswith("col:"):
        for key in ("criterion_label", "criterion_value"):
            if not table.get(key):
                raise LayoutError(key, "criteria given by a selector need criterion_label and criterion_value")
    return Layout(**{**table, "edition_words": tuple(table.get("edition_words", ()))})


@cache
def builtin_layouts() -> tuple[Layout, ...]:
    """The layouts the site has used, newest first (each a TOML file beside this module)."""
    found = []
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".toml"):
            table = tomllib.loads(entry.read_text(encoding="utf-8"))
            found.append((int(table.pop("order", 0)), layout_from_table(table)))
    return tuple(layout for _, layout in sorted(found, key=lambda pair: -pair[0]))


def merged(extra: tuple[Layout, ...]) -> tuple[Layout, ...]:
    """The operator's layouts first, then the built-in ones they do not override by name."""
    names = {layout.name for layout in extra}
    return (*extra, *(layout for layout in builtin_layouts() if layout.name not in names))
