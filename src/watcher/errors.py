"""Our exceptions, one per stage, each with a message written for the person who reads it.

The tree::

    WatcherError
    ├── ConfigError          the config file is missing, unreadable or invalid (exit 2)
    │   └── LayoutError          a layout (built-in file or [[layouts]] table) has a bad or missing key
    ├── FetchError           a page could not be fetched (network, HTTP status, robots.txt, size cap, deadline)
    │   ├── Postponed            the host asked to be left alone until a given time: nothing was asked of it
    │   └── DeadlinePassed       the check ran past fetch.check_deadline_seconds: abandoned, counted as failed
    ├── ParseRefused         a page was fetched but the sanity gate refused what it read
    │   ├── NoLayoutFits         no layout fits a page: the site has probably changed its markup
    │   └── InferenceRefused     no layout is proposed for pages no layout reads: what was tried, how far it got
    ├── StoreError           the database could not be opened or written
    ├── MailError            an email could not be handed to the SMTP server
    │   └── ServerUnreachable    no email can be sent now: connection, TLS or login failed
    └── Busy                 another daemon or check holds the database (exit 2)

Library errors (httpx, sqlite3, smtplib) are wrapped once, at the edge that calls the library,
with ``raise ... from exc`` and a message that names what failed and where.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class WatcherError(Exception):
    """Base class of every error `watcher` raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole, whatever the subclass's own arguments: the daemon's child process sends it back.
        return _restored, (type(self), self.args, self.__dict__)


def _restored(kind: type[WatcherError], args: tuple[Any, ...], state: dict[str, Any]) -> WatcherError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(WatcherError):
    """The configuration cannot be used; the message names the key and the fix."""


class LayoutError(ConfigError):
    """A layout description cannot be used; the message names the key and the fix."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = message


class FetchError(WatcherError):
    """A page could not be fetched; the message names the URL and the cause."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class DeadlinePassed(FetchError):
    """The check ran past its deadline before it could ask for a page: nothing is learnt of the page or its host."""


class Postponed(FetchError):
    """The host asked to be left alone until `not_before` (Retry-After, or a pause after failures); not asked now."""

    def __init__(self, message: str, *, url: str, not_before: datetime, status: int | None = None) -> None:
        super().__init__(message, url=url, status=status)
        self.not_before = not_before


class ParseRefused(WatcherError):
    """A fetched page does not look like the ranking we expect, so nothing is recorded from it."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(f"{message} (page: {url})" if url else message)
        self.url = url
        self.reason = message


class NoLayoutFits(ParseRefused):
    """No layout, built-in or from the config, fits a page: the site has probably changed its markup."""


class InferenceRefused(ParseRefused):
    """No layout is proposed for pages that no layout reads; the message says what was tried and how far it got."""


class StoreError(WatcherError):
    """The database could not be opened, migrated or written."""


class MailError(WatcherError):
    """An email could not be sent now; it stays in the outbox and is retried later."""


class ServerUnreachable(MailError):
    """No message can be sent now (connection, TLS or login failed): stop trying until later."""


class Busy(WatcherError):
    """Another process holds the lock; the message says which and what to do."""
