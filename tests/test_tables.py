"""TOML tables into the config's dataclasses (`watcher.tables`): types, bounds, checks, every problem at once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher.config import Config, EmailConfig, FetchConfig, ScheduleConfig
from watcher.tables import Alias, Check, Invalid, Problem, build, defaults

MAIL = {"to": ["communication@example.org"], "from": "watcher@example.org"}


def problems(cls: type, table: object) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(Invalid) as info:
        build(cls, table)
    return [(p.loc, p.kind) for p in info.value.problems]


def test_every_problem_is_found_in_one_pass_in_the_order_of_the_fields() -> None:
    table = {"school": {"name": ""}, "email": {**MAIL, "smtp_port": 0}, "fetch": {"attempts": 0, "colour": "red"}}
    assert problems(Config, table) == [
        (("school", "name"), "string_too_short"),
        (("email", "smtp_port"), "greater_than_equal"),
        (("fetch", "attempts"), "greater_than_equal"),
        (("fetch", "colour"), "extra_forbidden"),
    ]


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_bounded_float_is_accepted_exactly_inside_its_bounds(value: float) -> None:
    inside = math.isfinite(value) and 0 < value <= 600
    if inside:
        assert build(FetchConfig, {"timeout_seconds": value}).timeout_seconds == value
    else:
        (only,) = problems(FetchConfig, {"timeout_seconds": value})
        assert only[0] == ("timeout_seconds",)
        assert only[1] == (
            "finite_number" if not math.isfinite(value) else "greater_than" if value <= 0 else "less_than_equal"
        )


@pytest.mark.parametrize(
    ("table", "kind"),
    [
        ({"smtp_port": "25"}, "int_type"),  # strict: a port in quotes is a mistake worth telling
        ({"smtp_port": 25.0}, "int_type"),
        ({"smtp_port": True}, "int_type"),
        ({"starttls": "yes"}, "bool_type"),  # strict
        ({"starttls": 1}, "bool_type"),
        ({"to": "communication@example.org"}, "tuple_type"),
        ({"to": []}, "value_error"),
        ({"to": ["nobody"]}, "value_error"),
    ],
)
def test_strict_keys_take_only_their_own_type(table: dict[str, object], kind: str) -> None:
    assert [k for _, k in problems(EmailConfig, {**MAIL, **table})] == [kind]


def test_lax_keys_take_what_toml_writers_mean() -> None:
    fetch = build(FetchConfig, {"attempts": "4", "max_pages": 3.0, "timeout_seconds": "12.5", "browser": "no"})
    assert (fetch.attempts, fetch.max_pages, fetch.timeout_seconds, fetch.browser) == (4, 3, 12.5, False)
    assert problems(FetchConfig, {"attempts": 2.5, "max_pages": "many", "browser": "maybe"}) == [
        (("attempts",), "int_from_float"),
        (("max_pages",), "int_parsing"),
        (("browser",), "bool_parsing"),
    ]


def test_a_check_of_the_whole_section_is_told_at_the_section() -> None:
    assert problems(
        Config, {"school": {"name": "X"}, "email": MAIL, "schedule": {"cron": "0 7 * * *", "every": "1h"}}
    ) == [(("schedule",), "value_error")]


def test_a_section_not_written_as_a_table_and_a_missing_one() -> None:
    assert problems(Config, {"school": "IMT Mines Alès"}) == [(("school",), "model_type"), (("email",), "missing")]


def test_an_alias_is_the_key_the_file_writes() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Sender:
        from_: Annotated[str, Alias("from")]

    assert build(Sender, {"from": "a@example.org"}).from_ == "a@example.org"
    assert problems(Sender, {"from_": "a@example.org"}) == [(("from",), "missing"), (("from_",), "extra_forbidden")]
    assert defaults(Sender) == {"from": None}


SEEN: list[dict[str, object]] = []


def _upper(value: str, earlier: dict[str, object]) -> str:
    SEEN.append(dict(earlier))
    return value.upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:  # the annotations are read from the module, as the config's are
    first: str = "a"
    second: Annotated[str, Check(_upper, earlier=True)]


def test_a_check_may_tidy_the_value_and_reads_the_fields_before_it() -> None:
    SEEN.clear()
    assert build(Pair, {"second": "b"}).second == "B"
    assert SEEN == [{"first": "a"}]  # a default counts as written


def test_defaults_are_kept_and_paths_are_paths() -> None:
    config = build(Config, {"school": {"name": "X"}, "email": MAIL, "database": "data/w.db"})
    assert (
        config.database == Path("data/w.db") and config.fetch == FetchConfig() and config.schedule == ScheduleConfig()
    )
    assert problems(Config, {"school": {"name": "X"}, "email": MAIL, "database": 3}) == [(("database",), "path_type")]


def test_a_type_no_check_knows_is_a_bug_not_a_pass() -> None:
    @dataclass(frozen=True, slots=True)
    class Odd:
        when: complex

    with pytest.raises(TypeError, match="no check for the type"):
        build(Odd, {"when": 1j})


def test_a_problem_carries_the_value_found_and_the_bound() -> None:
    with pytest.raises(Invalid) as info:
        build(FetchConfig, {"attempts": 99})
    assert info.value.problems == [Problem(("attempts",), "less_than_equal", 99, 20)]


@pytest.mark.parametrize(
    ("table", "kind"),
    [
        ({"attempts": "+-5"}, "int_parsing"),
        ({"max_bytes": "2²"}, "int_parsing"),  # a digit to str.isdigit, not to int()
        ({"attempts": "9" * 5000}, "int_parsing"),  # more digits than Python reads
        ({"timeout_seconds": 10**309}, "finite_number"),  # an integer past any float
        ({"timeout_seconds": "1e999"}, "finite_number"),
    ],
)
def test_a_value_python_cannot_read_is_a_problem_told_not_a_crash(table: dict[str, object], kind: str) -> None:
    assert [k for _, k in problems(FetchConfig, table)] == [kind]
