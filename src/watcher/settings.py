"""The sections of `config.toml` as typed, validated values: the school, the rankings, email, fetch, schedule, alerts.

`watcher.config` assembles them into a `Config` and explains their errors; these are the pieces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watcher.tables import Alias, Before, Bounds, Check, MinLen, Strict


def _address(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
        raise ValueError(f"{value!r} is not an email address (expected name@example.org)")
    return value


EmailAddress = Annotated[str, Check(_address)]


def _non_empty(value: tuple[str, ...]) -> tuple[str, ...]:
    # Checked after the items, so one bad address is reported once, not also as "empty".
    if not value:
        raise ValueError("give at least one address")
    return value


# Each section is checked by `watcher.tables.build`: unknown keys refused, every float finite (inf and nan pass
# for floats in TOML, and would only fail later, as an overflow in the daemon).
Name = Annotated[str, MinLen(1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SubsetConfig:
    """Schools of the list to rank the watched one among ("3e école post-bac"): named, or by the city listed."""

    name: Name  # said after the place: "école post-bac" → "3e école post-bac"
    schools: tuple[str, ...] = ()  # names or directory ids (the number at the end of a school page's address)
    cities: tuple[str, ...] = ()  # the city the list writes after a school's name ("Toulouse")

    def check_whole(self) -> None:
        if not self.schools and not self.cities:
            raise ValueError(
                f"the subset {self.name!r} names no school: list its members, e.g. "
                'schools = ["INSA Lyon", "UTC"], or its cities, e.g. cities = ["Toulouse", "Montpellier"]'
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SchoolConfig:
    name: Name
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()  # other schools (names or slugs) whose moves the alert reports
    discover: Annotated[bool, Strict()] = True  # also watch the lists the rankings link to
    subsets: tuple[SubsetConfig, ...] = ()  # places among chosen schools, stated in the alert

    def peer_configs(self) -> tuple[SchoolConfig, ...]:
        """Each peer as a school to find: by slug when it looks like one, else by name."""
        return tuple(
            SchoolConfig(name=p, slug=p if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", p) else None) for p in self.peers
        )


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    # A fragment (#indicateurs=...) only steers the page's script; the server never sees it.
    return value.split("#", 1)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class RankingConfig:
    name: Name
    url: Annotated[str, Check(_http_url)]
    layout: str | None = None  # read this ranking with this layout only (default: whichever fits the page)
    browser: bool | None = None  # render its pages with headless Chromium (default: [fetch] browser)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailConfig:
    to: Annotated[tuple[EmailAddress, ...], Check(_non_empty)]
    ops_to: tuple[EmailAddress, ...] = ()  # the people who run watcher; defaults to `to`
    from_: Annotated[EmailAddress, Alias("from")]
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Bounds(ge=1, le=65535), Strict()] = 25
    starttls: Annotated[bool, Strict()] | None = None  # required (None: for port 587); else used if offered
    allow_plain_auth: Annotated[bool, Strict()] = False  # send the login over a connection without TLS
    timeout_seconds: Annotated[float, Bounds(gt=0)] = 30.0  # the whole SMTP session, not one read
    retry_seconds: Annotated[float, Bounds(gt=0)] = 60.0  # first pause before resending, then doubled, at most 1 h

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


Duration = Annotated[str, Check(_duration)]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class SeasonConfig:
    months: Annotated[tuple[Annotated[int, Bounds(ge=1, le=12)], ...], MinLen(1)]
    every: Duration
    hours: Annotated[str, Check(_hours)] = "0-23"

    def covers(self, month: int, hour: int) -> bool:
        low, high = (int(h) for h in self.hours.split("-"))
        return month in self.months and low <= hour <= high


def _season_off(value: object) -> object:
    # TOML has no null: `season = false` is how an operator turns the busy season off.
    return None if value is False else value


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleConfig:
    cron: Annotated[str, Check(_cron)] | None = None
    every: Duration | None = None
    timezone: Annotated[str, Check(_timezone)] = "Europe/Paris"
    # Default: a tenth of the interval, at most 60 s; more than an hour would blur the schedule itself.
    jitter_seconds: Annotated[float, Bounds(ge=0, le=3600)] | None = None
    # L'Étudiant publishes between November and February (December up to the 2021 edition, January–February
    # since): check hourly in the daytime then.
    season: Annotated[SeasonConfig | None, Before(_season_off)] = SeasonConfig(
        months=(11, 12, 1, 2), every="1h", hours="7-21"
    )

    def check_whole(self) -> None:
        if self.cron and self.every:
            raise ValueError("give either cron or every, not both")

    @property
    def rhythm(self) -> str:
        return self.cron or self.every or "0 7 * * *"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertsConfig:
    # The upper bounds keep every figure a date can be computed from: beyond them an alert would never come.
    failures_before_alert: Annotated[int, Bounds(ge=1, le=1000)] = 3
    stale_after_days: Annotated[float, Bounds(gt=0, le=365)] = 3.0
    mail_failing_log_after_hours: Annotated[float, Bounds(gt=0, le=8760)] = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchConfig:
    # Every duration is finite and bounded, so a typo (inf, nan, 1e9) cannot make a check hang for ever.
    contact: EmailAddress | None = None  # defaults to email.from
    timeout_seconds: Annotated[float, Bounds(gt=0, le=600)] = 30.0  # one request, whole body
    # One check of one ranking, all its pages and retries: past it the check is abandoned and counted as failed.
    check_deadline_seconds: Annotated[float, Bounds(gt=0, le=7200)] = 900.0
    delay_seconds: Annotated[float, Bounds(ge=0, le=60)] = 2.0  # between two requests to one host
    max_bytes: Annotated[int, Bounds(gt=0, le=1_000_000_000)] = 10_000_000
    attempts: Annotated[int, Bounds(ge=1, le=20)] = 4
    # First pause between two attempts, then doubled, at most max_retry_after_seconds.
    backoff_seconds: Annotated[float, Bounds(ge=0, le=600)] = 2.0
    # The longest pause a host gets within a check (Retry-After, backoff); longer: give up until then.
    max_retry_after_seconds: Annotated[float, Bounds(ge=0, le=3600)] = 120.0
    max_pages: Annotated[int, Bounds(ge=1, le=100)] = 20
    respect_robots_txt: bool = True
    browser: bool = False  # render pages with headless Chromium, for content that needs script to appear
