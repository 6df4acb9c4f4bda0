"""TOML tables into frozen dataclasses, checked field by field; every problem found, each with its key path.

The sections of `config.toml` say what they accept in their annotations: `Annotated[float, Bounds(gt=0, le=600)]`,
`Annotated[str, Check(_address)]`, `Annotated[..., Alias("from")]`. `build(cls, table)` returns the value or raises
`Invalid` with every `Problem` at once, so an operator fixes the whole file in one go. It is small on purpose: a
check run by cron validates its config each time, and a general validation library cost more CPU to import than
the rest of a check whose pages did not change.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NamedTuple, TypeVar, Union

T = TypeVar("T")
Loc = tuple[str | int, ...]


# Named tuples, not dataclasses: these classes are made at every start, and a dataclass takes ~1 ms to make.
class Problem(NamedTuple):
    """One thing wrong: where (`loc`: keys, and list entries from 0), what (`kind`), the value found, the bound."""

    loc: Loc
    kind: str  # missing, extra_forbidden, int_type, too_short, greater_than, value_error, ...
    given: object = None
    bound: float | int | None = None
    message: str = ""  # our own checks' words (value_error)


class Invalid(Exception):
    """A table that does not fit its dataclass; `problems` says every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.kind}" for p in problems))
        self.problems = problems


class Bounds(NamedTuple):
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None


class MinLen(NamedTuple):
    least: int


class Strict(NamedTuple):
    """Only the exact type: no "25" for 25, no 1 for true."""


class Alias(NamedTuple):
    key: str  # the key as written in the file, when it cannot be the field's name ("from")


class Check(NamedTuple):
    """A check after the type: `fn` returns the value (maybe tidied) or raises ValueError in the operator's words.
    With `earlier`, `fn` also receives the fields already checked (those before it, that passed)."""

    fn: Callable[..., Any]
    earlier: bool = False


class Before(NamedTuple):
    """A rewrite before the type is checked (TOML has no null: `season = false` means none)."""

    fn: Callable[[Any], Any]


_TRUE = {"true", "yes", "on", "1", "t", "y"}
_FALSE = {"false", "no", "off", "0", "f", "n"}
_hints: dict[type, dict[str, Any]] = {}


def _fields(cls: type) -> dict[str, Any]:
    if cls not in _hints:
        _hints[cls] = typing.get_type_hints(cls, include_extras=True)
    return _hints[cls]


def key_of(cls: type, name: str) -> str:
    """How the file writes a field's key (its alias, else its name)."""
    hint = _fields(cls)[name]
    aliases = [m.key for m in getattr(hint, "__metadata__", ()) if isinstance(m, Alias)]
    return aliases[0] if aliases else name


def defaults(cls: type) -> dict[str, object]:
    """Each key of a section as the file writes it, with its default (None when required)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.init:
            out[key_of(cls, f.name)] = None if f.default is dataclasses.MISSING else f.default
    return out


def build(cls: type[T], table: object, loc: Loc = ()) -> T:
    """`table` checked against `cls`, a frozen dataclass; raises `Invalid` with every problem found."""
    problems: list[Problem] = []
    value = _section(cls, table, loc, problems)
    if problems:
        raise Invalid(problems)
    return typing.cast(T, value)


def _section(cls: type, table: object, loc: Loc, problems: list[Problem]) -> object:
    if not isinstance(table, dict):
        problems.append(Problem(loc, "model_type", table))
        return None
    hints, values, failed = _fields(cls), {}, False
    keys = {key_of(cls, f.name): f for f in dataclasses.fields(cls) if f.init}
    for key, f in keys.items():
        if key not in table:
            if f.default is dataclasses.MISSING:
                problems.append(Problem((*loc, key), "missing"))
                failed = True
            else:  # seen by the later fields' checks as if written
                values[f.name] = f.default
            continue
        before = len(problems)
        value = _value(hints[f.name], table[key], (*loc, key), problems, values)
        if len(problems) > before:
            failed = True
        else:
            values[f.name] = value
    for key in table:
        if key not in keys:
            problems.append(Problem((*loc, key), "extra_forbidden", table[key]))
            failed = True
    if failed:
        return None
    made = cls(**values)
    whole = getattr(made, "check_whole", None)
    if whole is not None:
        try:
            whole()
        except ValueError as exc:
            problems.append(Problem(loc, "value_error", table, message=str(exc)))
            return None
    return made


def _value(hint: Any, given: object, loc: Loc, problems: list[Problem], earlier: dict[str, Any]) -> object:
    """`given` as `hint` says; problems appended (the return value is then meaningless)."""
    metadata: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, metadata = hint.__origin__, hint.__metadata__
    for m in metadata:
        if isinstance(m, Before):
            given = m.fn(given)
    strict = any(isinstance(m, Strict) for m in metadata)
    start = len(problems)
    value = _typed(hint, given, loc, problems, strict, earlier)
    if len(problems) > start or value is None:
        return value
    for m in metadata:
        if isinstance(m, Bounds | MinLen):
            problem = _bound(m, value, given)
            if problem is not None:
                problems.append(Problem(loc, *problem))
                return value
        elif isinstance(m, Check):
            try:
                value = m.fn(value, earlier) if m.earlier else m.fn(value)
            except ValueError as exc:
                problems.append(Problem(loc, "value_error", given, message=str(exc)))
                return value
    return value


def _typed(
    hint: Any, given: object, loc: Loc, problems: list[Problem], strict: bool, earlier: dict[str, Any]
) -> object:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if given is None:
            return None
        return _value(options[0], given, loc, problems, earlier)
    if origin is tuple:
        if not isinstance(given, list | tuple):
            problems.append(Problem(loc, "tuple_type", given))
            return None
        item = typing.get_args(hint)[0]
        return tuple(_value(item, v, (*loc, i), problems, {}) for i, v in enumerate(given))
    if origin is dict:
        if not isinstance(given, dict):
            problems.append(Problem(loc, "dict_type", given))
        return given
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _section(hint, given, loc, problems)
    kind, value = _scalar(hint, given, strict)
    if kind:
        problems.append(Problem(loc, kind, given))
    return value


def _scalar(hint: Any, given: object, strict: bool) -> tuple[str, object]:
    """(problem kind or "", value) for str, bool, int, float and Path."""
    if hint is str:
        return ("", given) if isinstance(given, str) else ("string_type", None)
    if hint is bool:
        if isinstance(given, bool):
            return "", given
        if strict:
            return "bool_type", None
        if isinstance(given, int) and given in (0, 1):
            return "", bool(given)
        if isinstance(given, str) and given.strip().lower() in _TRUE | _FALSE:
            return "", given.strip().lower() in _TRUE
        return ("bool_parsing" if isinstance(given, str) else "bool_type"), None
    if hint is int:
        if isinstance(given, int) and not isinstance(given, bool):
            return "", given
        if strict or isinstance(given, bool):
            return "int_type", None
        if isinstance(given, float):
            return ("", int(given)) if given.is_integer() else ("int_from_float", None)
        if isinstance(given, str):
            try:
                return "", int(given)
            except ValueError:  # not digits, or more than Python reads ("4300 digits")
                return "int_parsing", None
        return "int_type", None
    if hint is float:
        number: float | None = None
        try:
            number_like = isinstance(given, int | float) and not isinstance(given, bool)
            if number_like or (isinstance(given, str) and not strict):
                number = float(typing.cast(str | float, given))
        except OverflowError:  # an integer past any float: no number watcher can count with
            return "finite_number", None
        except ValueError:
            return "float_parsing", None
        if number is None:
            return "float_type", None
        return ("", number) if math.isfinite(number) else ("finite_number", None)
    if hint is Path:
        return ("", Path(given)) if isinstance(given, str) else ("path_type", None)
    raise TypeError(f"no check for the type {hint!r}")  # a field of a type this module does not know: a bug


def _bound(rule: Bounds | MinLen, value: Any, given: object) -> tuple[str, object, float | int] | None:
    if isinstance(rule, MinLen):
        if len(value) < rule.least:
            return ("string_too_short" if isinstance(value, str) else "too_short"), given, rule.least
        return None
    fails: Callable[[Any, Any], bool]
    for kind, limit, fails in (
        ("greater_than", rule.gt, operator.le),
        ("greater_than_equal", rule.ge, operator.lt),
        ("less_than", rule.lt, operator.ge),
        ("less_than_equal", rule.le, operator.gt),
    ):
        if limit is not None and fails(value, limit):
            return kind, given, limit
    return None
