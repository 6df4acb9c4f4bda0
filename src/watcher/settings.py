"""The sections of `config.toml` as typed, validated values: the school, the rankings, email, fetch, schedule, alerts.

`watcher.config` assembles them into a `Config` and explains their errors; these are the pieces.
"""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


def _address(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
        raise ValueError(f"{value!r} is not an email address (expected name@example.org)")
    return value


EmailAddress = Annotated[str, AfterValidator(_address)]


def _non_empty(value: tuple[str, ...]) -> tuple[str, ...]:
    # Checked after the items, so one bad address is reported once, not also as "empty".
    if not value:
        raise ValueError("give at least one address")
    return value


class _Section(BaseModel):
    # inf and nan pass for floats in TOML, and would only fail later, as an overflow in the daemon.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class SubsetConfig(_Section):
    """Schools of the list to rank the watched one among ("3e école post-bac"): named, or by the city listed."""

    name: Annotated[str, Field(min_length=1)]  # said after the place: "école post-bac" → "3e école post-bac"
    schools: tuple[str, ...] = ()  # names or directory ids (the number at the end of a school page's address)
    cities: tuple[str, ...] = ()  # the city the list writes after a school's name ("Toulouse")

    @model_validator(mode="after")
    def _some_members(self) -> SubsetConfig:
        if not self.schools and not self.cities:
            raise ValueError(
                f"the subset {self.name!r} names no school: list its members, e.g. "
                'schools = ["INSA Lyon", "UTC"], or its cities, e.g. cities = ["Toulouse", "Montpellier"]'
            )
        return self


class SchoolConfig(_Section):
    name: Annotated[str, Field(min_length=1)]
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()  # other schools (names or slugs) whose moves the alert reports
    discover: Annotated[bool, Field(strict=True)] = True  # also watch the lists the rankings link to
    subsets: tuple[SubsetConfig, ...] = ()  # places among chosen schools, stated in the alert

    def peer_configs(self) -> tuple[SchoolConfig, ...]:
        """Each peer as a school to find: by slug when it looks like one, else by name."""
        return tuple(
            SchoolConfig(name=p, slug=p if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", p) else None) for p in self.peers
        )


class RankingConfig(_Section):
    name: Annotated[str, Field(min_length=1)]
    url: str
    layout: str | None = None  # read this ranking with this layout only (default: whichever fits the page)
    browser: bool | None = None  # render its pages with headless Chromium (default: [fetch] browser)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        # A fragment (#indicateurs=...) only steers the page's script; the server never sees it.
        return value.split("#", 1)[0]


class EmailConfig(_Section):
    to: Annotated[tuple[EmailAddress, ...], AfterValidator(_non_empty)]
    ops_to: tuple[EmailAddress, ...] = ()  # the people who run watcher; defaults to `to`
    from_: Annotated[EmailAddress, Field(alias="from")]
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Field(ge=1, le=65535, strict=True)] = 25
    starttls: Annotated[bool, Field(strict=True)] | None = None  # required (None: for port 587); else used if offered
    allow_plain_auth: Annotated[bool, Field(strict=True)] = False  # send the login over a connection without TLS
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0  # the whole SMTP session, not one read
    retry_seconds: Annotated[float, Field(gt=0)] = 60.0  # first pause before resending, then doubled, at most 1 h

    @property
    def use_starttls(self) -> bool:
        return self.starttls if self.starttls is not None else self.smtp_port == 587

    @property
    def use_ssl(self) -> bool:
        return self.smtp_port == 465 and not self.starttls

    @property
    def operators(self) -> tuple[str, ...]:
        return self.ops_to or self.to


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LONGEST_EVERY_DAYS = 31


def parse_duration(text: str) -> float:
    """'30m' → 1800.0; accepts s, m, h, d, up to 31 days."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f'{text!r} is not a duration; write a number and a unit, like "30m", "6h" or "10s"')
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > LONGEST_EVERY_DAYS * 86400:
        raise ValueError(
            f"{text!r} is longer than {LONGEST_EVERY_DAYS} days; for rarer checks use cron instead, "
            'e.g. cron = "0 7 1 * *" (7:00 on the first of each month)'
        )
    return float(seconds)


def _duration(value: str) -> str:
    parse_duration(value)
    return value


Duration = Annotated[str, AfterValidator(_duration)]


def _cron(value: str) -> str:
    from watcher.cron import crontab_trigger  # APScheduler is loaded only for a config with a cron

    try:
        if len(value.split()) != 5:
            raise ValueError("five fields are needed: minute hour day month day-of-week")
        crontab_trigger(value, ZoneInfo("UTC"))
    except ValueError as exc:
        raise ValueError(
            f'{value!r} is not a cron expression ({exc}); write five fields, e.g. "0 7 * * *" for 7:00 every day'
        ) from exc
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f'{value!r} is not a time zone; write one like "Europe/Paris"') from exc
    return value


def _hours(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value.strip())
    if not match or not 0 <= int(match.group(1)) <= int(match.group(2)) <= 23:
        raise ValueError(f'{value!r} is not a range of hours; write it like "7-21"')
    return value


class SeasonConfig(_Section):
    months: Annotated[tuple[Annotated[int, Field(ge=1, le=12)], ...], Field(min_length=1)]
    every: Duration
    hours: Annotated[str, AfterValidator(_hours)] = "0-23"

    def covers(self, month: int, hour: int) -> bool:
        low, high = (int(h) for h in self.hours.split("-"))
        return month in self.months and low <= hour <= high


def _season_off(value: object) -> object:
    # TOML has no null: `season = false` is how an operator turns the busy season off.
    return None if value is False else value


class ScheduleConfig(_Section):
    cron: Annotated[str, AfterValidator(_cron)] | None = None
    every: Duration | None = None
    timezone: Annotated[str, AfterValidator(_timezone)] = "Europe/Paris"
    # Default: a tenth of the interval, at most 60 s; more than an hour would blur the schedule itself.
    jitter_seconds: Annotated[float, Field(ge=0, le=3600)] | None = None
    # L'Étudiant publishes between November and February (December up to the 2021 edition, January–February
    # since): check hourly in the daytime then.
    season: Annotated[SeasonConfig | None, BeforeValidator(_season_off)] = SeasonConfig(
        months=(11, 12, 1, 2), every="1h", hours="7-21"
    )

    @model_validator(mode="after")
    def _one_rhythm(self) -> ScheduleConfig:
        if self.cron and self.every:
            raise ValueError("give either cron or every, not both")
        return self

    @property
    def rhythm(self) -> str:
        return self.cron or self.every or "0 7 * * *"


class AlertsConfig(_Section):
    # The upper bounds keep every figure a date can be computed from: beyond them an alert would never come.
    failures_before_alert: Annotated[int, Field(ge=1, le=1000)] = 3
    stale_after_days: Annotated[float, Field(gt=0, le=365)] = 3.0
    mail_failing_log_after_hours: Annotated[float, Field(gt=0, le=8760)] = 1.0


class FetchConfig(_Section):
    # Every duration is finite and bounded, so a typo (inf, nan, 1e9) cannot make a check hang for ever.
    contact: EmailAddress | None = None  # defaults to email.from
    timeout_seconds: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = 30.0  # one request, whole body
    # One check of one ranking, all its pages and retries: past it the check is abandoned and counted as failed.
    check_deadline_seconds: Annotated[float, Field(gt=0, le=7200, allow_inf_nan=False)] = 900.0
    delay_seconds: Annotated[float, Field(ge=0, le=60, allow_inf_nan=False)] = 2.0  # between two requests to one host
    max_bytes: Annotated[int, Field(gt=0, le=1_000_000_000)] = 10_000_000
    attempts: Annotated[int, Field(ge=1, le=20)] = 4
    # First pause between two attempts, then doubled, at most max_retry_after_seconds.
    backoff_seconds: Annotated[float, Field(ge=0, le=600, allow_inf_nan=False)] = 2.0
    # The longest pause a host gets within a check (Retry-After, backoff); longer: give up until then.
    max_retry_after_seconds: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)] = 120.0
    max_pages: Annotated[int, Field(ge=1, le=100)] = 20
    respect_robots_txt: bool = True
    browser: bool = False  # render pages with headless Chromium, for content that needs script to appear
