"""Read `config.toml` into a typed, validated `Config`; every error names the key and the fix."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError

DEFAULT_RANKING_URL = (
    "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/"
    "palmares-general-des-ecoles-d-ingenieurs/home.html"
)


def _address(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
        raise ValueError(f"{value!r} is not an email address (expected name@example.org)")
    return value


EmailAddress = Annotated[str, AfterValidator(_address)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SchoolConfig(_Section):
    name: Annotated[str, Field(min_length=1)] = "IMT Mines Alès"
    slug: str | None = None
    aliases: tuple[str, ...] = ()


class RankingConfig(_Section):
    name: Annotated[str, Field(min_length=1)]
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        # A fragment (#indicateurs=...) only steers the page's script; the server never sees it.
        return value.split("#", 1)[0]


class EmailConfig(_Section):
    to: Annotated[tuple[EmailAddress, ...], Field(min_length=1)]
    from_: Annotated[EmailAddress, Field(alias="from")]
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    starttls: bool | None = None  # None: on for port 587
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0

    @property
    def use_starttls(self) -> bool:
        return self.starttls if self.starttls is not None else self.smtp_port == 587

    @property
    def use_ssl(self) -> bool:
        return self.smtp_port == 465 and not self.starttls


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


class Config(_Section):
    database: Path = Path("watcher.db")
    school: SchoolConfig = SchoolConfig()
    rankings: Annotated[tuple[RankingConfig, ...], Field(min_length=1)]
    email: EmailConfig
    fetch: FetchConfig = FetchConfig()
    source: Path | None = None  # the file this was read from

    @model_validator(mode="after")
    def _unique_ranking_names(self) -> Config:
        names = [r.name for r in self.rankings]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two [[rankings]] are named {name!r}; give each a different name")
        return self

    @property
    def contact(self) -> str:
        return str(self.fetch.contact or self.email.from_)


_HINTS = {
    "missing": "add it",
    "extra_forbidden": "remove it or check its spelling",
    "int_parsing": "write a whole number without quotes",
    "bool_parsing": "write true or false, without quotes",
    "value_error": "",
    "too_short": "give at least one",
}


def _key_path(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item + 1}]" if parts else f"[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def _explain(exc: ValidationError, source: str, data: dict[str, Any]) -> str:
    lines = [f"{source} is not valid:"]
    for err in exc.errors():
        key = _key_path(tuple(err["loc"]), data)
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
        raise ConfigError(_explain(exc, source, data)) from exc
    database = config.database if config.database.is_absolute() else base_dir / config.database
    return config.model_copy(update={"database": database, "source": Path(source)})


def default_path() -> Path:
    """`$WATCHER_CONFIG`, else `./config.toml`."""
    return Path(os.environ.get("WATCHER_CONFIG") or "config.toml")
