"""Read `config.toml` into a typed, validated `Config`; every error names the key and the fix."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from watcher.errors import ConfigError, LayoutError
from watcher.layouts.spec import Layout, layout_from_table, merged


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
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SchoolConfig(_Section):
    name: Annotated[str, Field(min_length=1)] = "IMT Mines Alès"
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()  # other schools (names or slugs) whose moves the alert reports

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
    starttls: Annotated[bool, Field(strict=True)] | None = None  # None: on for port 587
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
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


def parse_duration(text: str) -> float:
    """'30m' → 1800.0; accepts s, m, h, d."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f'{text!r} is not a duration; write a number and a unit, like "30m", "6h" or "10s"')
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


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


class ScheduleConfig(_Section):
    cron: Annotated[str, AfterValidator(_cron)] | None = None
    every: Duration | None = None
    timezone: Annotated[str, AfterValidator(_timezone)] = "Europe/Paris"
    jitter_seconds: Annotated[float, Field(ge=0)] | None = None  # default: a tenth of the interval, at most 60 s
    # L'Étudiant publishes between November and February (December up to the 2021 edition, January–February
    # since): check hourly in the daytime then.
    season: SeasonConfig | None = SeasonConfig(months=(11, 12, 1, 2), every="1h", hours="7-21")

    @model_validator(mode="after")
    def _one_rhythm(self) -> ScheduleConfig:
        if self.cron and self.every:
            raise ValueError("give either cron or every, not both")
        return self

    @property
    def rhythm(self) -> str:
        return self.cron or self.every or "0 7 * * *"


class AlertsConfig(_Section):
    failures_before_alert: Annotated[int, Field(ge=1)] = 3
    stale_after_days: Annotated[float, Field(gt=0)] = 3.0
    mail_failing_log_after_hours: Annotated[float, Field(gt=0)] = 1.0


class FetchConfig(_Section):
    contact: EmailAddress | None = None  # defaults to email.from
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    delay_seconds: Annotated[float, Field(ge=0)] = 2.0  # between two requests to one host
    max_bytes: Annotated[int, Field(gt=0)] = 10_000_000
    attempts: Annotated[int, Field(ge=1, le=20)] = 4
    backoff_seconds: Annotated[float, Field(ge=0)] = 2.0  # first pause between two attempts, then doubled
    max_retry_after_seconds: Annotated[float, Field(ge=0)] = 120.0  # longer Retry-After: give up until next check
    max_pages: Annotated[int, Field(ge=1, le=100)] = 20
    respect_robots_txt: bool = True
    browser: bool = False  # render pages with headless Chromium, for content that needs script to appear


class Config(_Section):
    database: Path = Path("watcher.db")
    school: SchoolConfig = SchoolConfig()
    rankings: Annotated[tuple[RankingConfig, ...], Field(min_length=1)]
    email: EmailConfig
    fetch: FetchConfig = FetchConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    alerts: AlertsConfig = AlertsConfig()
    layouts: tuple[dict[str, Any], ...] = ()  # the operator's [[layouts]]: added to, or overriding, the built-in ones
    source: Path | None = None  # the file this was read from

    @field_validator("layouts")
    @classmethod
    def _layouts(cls, tables: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        names: list[str] = []
        for number, table in enumerate(tables, start=1):
            try:
                names.append(layout_from_table(table).name)
            except LayoutError as exc:
                raise ValueError(f"[[layouts]] number {number}, key {exc.key}: {exc.reason}") from exc
            if names.count(names[-1]) > 1:
                raise ValueError(f"two [[layouts]] are named {names[-1]!r}; give each a different name")
        return tables

    @model_validator(mode="after")
    def _unique_ranking_names(self) -> Config:
        names = [r.name for r in self.rankings]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two [[rankings]] are named {name!r}; give each a different name")
        known = {layout.name for layout in self.site_layouts}
        for ranking in self.rankings:
            if ranking.layout and ranking.layout not in known:
                raise ValueError(
                    f"the ranking {ranking.name!r} names the layout {ranking.layout!r}, which does not exist; "
                    f"the layouts are: {', '.join(sorted(known))}"
                )
        return self

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


_HINTS = {
    "missing": "add it",
    "extra_forbidden": "remove it or check its spelling",
    "int_parsing": "write a whole number without quotes",
    "int_type": "write a whole number without quotes",
    "bool_type": "write true or false, without quotes",
    "bool_parsing": "write true or false, without quotes",
    "value_error": "",
    "too_short": "give at least one",
}


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def _explain(exc: ValidationError, source: str) -> str:
    lines = [f"{source} is not valid:"]
    for err in exc.errors():
        key = _key_path(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        hint = _HINTS.get(err["type"], "")
        if err["type"] == "missing":
            message = "this key is required"
        if err["type"] == "extra_forbidden":
            message = "this key is not known"
        lines.append(f"  - {key}: {message}" + (f" ({hint})" if hint else ""))
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
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text; save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Check quotes and brackets on that line.") from exc
    return from_dict(data, base_dir=path.resolve().parent, source=str(path))


def from_dict(data: dict[str, Any], *, base_dir: Path, source: str = "config") -> Config:
    """Validate already-parsed TOML data."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, source)) from exc
    database = config.database if config.database.is_absolute() else base_dir / config.database
    return config.model_copy(update={"database": database, "source": Path(source)})


def default_path() -> Path:
    """`$WATCHER_CONFIG`, else `./config.toml`."""
    return Path(os.environ.get("WATCHER_CONFIG") or "config.toml")
