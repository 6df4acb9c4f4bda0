"""watcher: reads L'Étudiant's ranking lists and emails a school's comms team when its rank moves.

The command line (`watcher check`, `watcher daemon`, …) is a thin layer over this library::

    from watcher import load_config, run_once

    result = run_once(load_config("config.toml"))  # a check of every ranking, then the outbox
    print(result.exit_code)

Heavier modules (the parser, the store, the mail edge) are imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from watcher.errors import (
    Busy,
    ConfigError,
    FetchError,
    LayoutError,
    MailError,
    ParseRefused,
    ServerUnreachable,
    StoreError,
    WatcherError,
)

if TYPE_CHECKING:
    from pathlib import Path

    from watcher.check import RunResult
    from watcher.config import Config
    from watcher.model import Alert, Row, Snapshot

__all__ = [
    "Alert",
    "Busy",
    "Config",
    "ConfigError",
    "FetchError",
    "LayoutError",
    "MailError",
    "ParseRefused",
    "Row",
    "ServerUnreachable",
    "Snapshot",
    "StoreError",
    "WatcherError",
    "load_config",
    "run_once",
]


def __getattr__(name: str) -> Any:
    # The config's validation and the model are loaded on first use, so that `watcher --help` starts at once.
    if name == "Config":
        from watcher.config import Config

        return Config
    if name in ("Alert", "Row", "Snapshot"):
        from watcher import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_config(path: str | Path) -> Config:
    """Read and check a config file; `ConfigError` names the key and the fix."""
    from pathlib import Path

    from watcher.config import load

    return load(Path(path))


def run_once(config: Config) -> RunResult:
    """Check every ranking once and deliver the outbox, as `watcher check` does (holding the check lock)."""
    from watcher.check import run_check
    from watcher.mail import SmtpMailer
    from watcher.pages.fetch import Fetcher
    from watcher.store.db import Store
    from watcher.store.lock import check_lock

    with (
        check_lock(config.database),
        Store.open(config.database) as db,
        Fetcher(config.fetch, config.contact, db.hosts()) as fetcher,  # Retry-After and robots.txt, as last told
    ):
        return run_check(config, store=db, fetcher=fetcher, mailer=SmtpMailer.from_env(config.email))
