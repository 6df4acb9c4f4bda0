"""Read `config.toml` into a typed, validated `Config`; every error names the key and the fix."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from watcher.errors import ConfigError, LayoutError
from watcher.layouts.spec import Layout, layout_from_table, merged
from watcher.settings import (
    AlertsConfig,
    EmailConfig,
    FetchConfig,
    RankingConfig,
    ScheduleConfig,
    SchoolConfig,
    SeasonConfig,
    parse_duration,
)
from watcher.tables import Check, Invalid, MinLen, Problem, build, defaults

__all__ = [
    "AlertsConfig",
    "Config",
    "EmailConfig",
    "FetchConfig",
    "RankingConfig",
    "ScheduleConfig",
    "SchoolConfig",
    "SeasonConfig",
    "default_path",
    "from_dict",
    "load",
    "parse_duration",
]


GENERAL_LIST = "https://www.letudiant.fr/classements/classement-des-ecoles-d-ingenieurs.html"


def _layouts(tables: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    names: list[str] = []
    for number, table in enumerate(tables, start=1):
        try:
            names.append(layout_from_table(table).name)
        except LayoutError as exc:
            raise ValueError(f"[[layouts]] number {number}, key {exc.key}: {exc.reason}") from exc
        if names.count(names[-1]) > 1:
            raise ValueError(f"two [[layouts]] are named {names[-1]!r}; give each a different name")
    return tables


def _rankings(rankings: tuple[RankingConfig, ...], earlier: dict[str, Any]) -> tuple[RankingConfig, ...]:
    names = [r.name for r in rankings]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"two [[rankings]] are named {name!r}; give each a different name")
    if "layouts" not in earlier:  # the layouts are wrong, and that error is the one to fix first
        return rankings
    if not any(r.layout for r in rankings):  # no name to check: loading the layouts compiles every selector
        return rankings
    known = {layout.name for layout in merged(tuple(layout_from_table(t) for t in earlier["layouts"]))}
    for number, ranking in enumerate(rankings, start=1):
        if ranking.layout and ranking.layout not in known:
            raise ValueError(
                f"[[rankings]] number {number} ({ranking.name!r}) names the layout {ranking.layout!r}, which "
                f"does not exist; write one of: {', '.join(sorted(known))}, or remove its `layout` line"
            )
    return rankings


_FETCH, _SCHEDULE, _ALERTS = FetchConfig(), ScheduleConfig(), AlertsConfig()  # frozen: one value shared is safe


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    database: Path = Path("watcher.db")
    school: SchoolConfig  # required: watcher must never quietly watch a school nobody chose
    # Before the rankings, so that a ranking's `layout` can be checked against them.
    # The operator's [[layouts]]: added to, or overriding, the built-in ones.
    layouts: Annotated[tuple[dict[str, Any], ...], Check(_layouts)] = ()
    # Without [[rankings]]: L'Étudiant's general engineering list (and, with [school] discover, every list it links to).
    rankings: Annotated[tuple[RankingConfig, ...], MinLen(1), Check(_rankings, earlier=True)] = (
        RankingConfig(name="Classement des écoles d'ingénieurs", url=GENERAL_LIST),
    )
    email: EmailConfig
    fetch: FetchConfig = _FETCH
    schedule: ScheduleConfig = _SCHEDULE
    alerts: AlertsConfig = _ALERTS
    source: Path | None = None  # the file this was read from

    def uses_browser(self, ranking: RankingConfig) -> bool:
        """Whether a ranking's pages are rendered by a browser: its own setting, else [fetch] browser."""
        return ranking.browser if ranking.browser is not None else self.fetch.browser

    @property
    def site_layouts(self) -> tuple[Layout, ...]:
        """The operator's layouts first, then the built-in ones they do not override."""
        return merged(tuple(layout_from_table(table) for table in self.layouts))

    @property
    def contact(self) -> str:
        return str(self.fetch.contact or self.email.from_)


_TABLES = ("school", "email", "fetch", "schedule", "alerts")  # one each, written [name]
_LISTS = ("rankings", "layouts")  # a list of tables, written [[name]] above each entry
_SECTIONS: dict[str, type] = {"": Config, "school": SchoolConfig, "rankings": RankingConfig}
_SECTIONS |= {"email": EmailConfig, "fetch": FetchConfig, "alerts": AlertsConfig}
_SECTIONS |= {"schedule": ScheduleConfig, "schedule.season": SeasonConfig}
_URL = GENERAL_LIST
_EXAMPLES = {  # what to write, for the keys whose default cannot serve as an example
    "school": '[school]\nname = "IMT Mines Alès"',
    "school.name": 'name = "IMT Mines Alès"',
    "rankings": f'[[rankings]]\nname = "Classement des écoles d\'ingénieurs"\nurl = "{_URL}"',
    "rankings.url": f'url = "{_URL}"',
    "email": '[email]\nto = ["communication@example.org"]\nfrom = "watcher@example.org"',
    "email.to": 'to = ["communication@example.org"]',
    "email.ops_to": 'ops_to = ["it@example.org"]',
    "email.from": 'from = "watcher@example.org"',
    "schedule.season": 'season = { months = [11, 12, 1, 2], every = "1h", hours = "7-21" }, or season = false',
    "schedule.season.months": "months = [11, 12, 1, 2]",
}
_LIST_OF = {"email.to": "addresses", "email.ops_to": "addresses", "schedule.season.months": "month numbers"}
# The kinds of problem `watcher.tables` finds, told as what is wrong and what to write ({given} is the value found,
# {bound} the limit it crossed).
_SAYS = dict.fromkeys(("int_type", "int_parsing", "int_from_float"), "{given!r} is not a whole number; write one")
_SAYS |= dict.fromkeys(("float_type", "float_parsing"), "{given!r} is not a number; write one without quotes")
_SAYS |= dict.fromkeys(("bool_type", "bool_parsing"), "{given!r} is not true or false; write one, without quotes")
_SAYS |= dict.fromkeys(("string_type", "string_too_short"), "write some text, in double quotes")
_SAYS |= {
    "finite_number": "{given} is not a number watcher can count with; write an ordinary number",
    "greater_than": "{given!r} is too small; write a number more than {bound:g}",
    "greater_than_equal": "{given!r} is too small; write a number of at least {bound:g}",
    "less_than": "{given!r} is too large; write a number less than {bound:g}",
    "less_than_equal": "{given!r} is too large; write a number of at most {bound:g}",
    "too_short": "give at least one",
}


def _key_path(loc: tuple[Any, ...]) -> str:
    """`rankings[2].url`: entries of a list counted from 1, as a person counts them in the file."""
    return "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "(top level)"


def _toml_name(loc: tuple[Any, ...]) -> str:
    """How the file writes a key: `[email] to`, `[[rankings]] number 2, url`."""
    head, rest = (loc[0], loc[1:]) if loc else ("", ())
    if head in _LISTS:
        number = f" number {rest[0] + 1}" if rest and isinstance(rest[0], int) else ""
        return f"[[{head}]]{number}" + (f", {_key_path(rest[1:])}" if rest[1:] else "")
    return (f"[{head}]" + (f" {_key_path(rest)}" if rest else "")) if head in _TABLES else _key_path(loc)


def _fields(section: str) -> dict[str, object]:
    model = _SECTIONS.get(section)
    return defaults(model) if model else {}


def _example(key: str) -> str:
    section, _, name = key.rpartition(".")
    default = _fields(section).get(name)
    written = json.dumps(default, ensure_ascii=False) if isinstance(default, bool | int | float | str) else ""
    return _EXAMPLES.get(key) or (f"{name} = {written}" if written else "")


def _problem(err: Problem) -> tuple[str, str]:
    """What is wrong with one key, and an example of what to write (may be empty)."""
    loc, kind, given = err.loc, err.kind, err.given
    key = ".".join(str(part) for part in loc if not isinstance(part, int))
    name, example, top = _toml_name(loc), _example(key), len(loc) == 1
    if kind == "missing":
        return (f"the {name} section is missing" if top and key in _TABLES + _LISTS else f"{name} is required") + (
            "; add it"
        ), example
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _fields(key.rpartition(".")[0]), n=1)
        return f"{name} is not a key watcher knows; " + (f"did you mean {close[0]}?" if close else "remove it"), ""
    if kind == "tuple_type" and isinstance(given, dict) and top:
        return f"[{key}] is written as one table, but {key} are a list: write [[{key}]] above each one", example
    if kind == "tuple_type":
        return f"{name} is a list of {_LIST_OF.get(key, 'values')}, even for one: write it in square brackets", example
    if kind in ("model_type", "dict_type") and isinstance(given, list) and top:
        return f"there is one [{key}], not a list of them: write [{key}] with single brackets, not [[{key}]]", example
    if kind in ("model_type", "dict_type"):
        return f"{name} is a table of settings, not a single value", example
    if kind == "value_error":  # our own checks' words, which say what to write
        return err.message, _EXAMPLES.get(key, "")
    if kind in _SAYS:
        return _SAYS[kind].format(given=given, bound=err.bound), example
    return f"{given!r} is not a path; write one in double quotes", example  # path_type, the one kind left


def _explain(exc: Invalid, source: str) -> str:
    lines = [f"{source} is not valid:"]
    for err in exc.problems:
        problem, example = _problem(err)
        line = f"  - {_key_path(err.loc)}: {problem}"
        if "\n" in example:
            line += ", for example:\n" + "\n".join(f"        {part}" for part in example.splitlines())
        elif example:
            line += f", e.g. {example}"
        lines.append(line)
    return "\n".join(lines)


def load(path: Path) -> Config:
    """Read and validate a config file; relative paths in it are relative to its folder."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            f"No config file at {path}. Copy the config.toml shipped with watcher there, "
            "or point to yours with --config PATH or the WATCHER_CONFIG variable."
        ) from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}.") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # Windows editors start files with a BOM
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text; save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Check quotes and brackets on that line.") from exc
    return from_dict(data, base_dir=path.resolve().parent, source=str(path))


def from_dict(data: dict[str, Any], *, base_dir: Path, source: str = "config") -> Config:
    """Validate already-parsed TOML data."""
    try:
        config = build(Config, data)
    except Invalid as exc:
        raise ConfigError(_explain(exc, source)) from exc
    database = config.database if config.database.is_absolute() else base_dir / config.database
    return replace(config, database=database, source=Path(source))


def default_path() -> Path:
    """`$WATCHER_CONFIG`, else `./config.toml`."""
    return Path(os.environ.get("WATCHER_CONFIG") or "config.toml")
