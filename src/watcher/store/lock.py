"""One daemon per database, one check at a time: advisory locks on files beside the database.

The kernel releases an flock when its process dies, even by kill -9, so a stale lock never blocks
a restart; the pid written in the file only serves the message.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path

from watcher.errors import Busy, StoreError

__all__ = ["Busy", "FileLock", "check_lock", "daemon_lock"]

_HOLDER_WIDTH = 80  # bytes: longer than any holder's line, so that each one covers the one before


class FileLock:
    """A non-blocking exclusive lock on `path`; use as a context manager or acquire()/release()."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what
        self._fd: int | None = None

    def acquire(self) -> FileLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"Cannot take the lock {self.path}: {exc.strerror}. It may have been left by another user (root?): "
                "when no watcher is running, delete it or give it to the user that runs watcher."
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise Busy(f"{self.what} is already running on this database ({holder}).") from None
        # Written over in place, padded to a fixed width: truncating the file at every check cost ten times more.
        holder = f"pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        os.pwrite(fd, holder.ljust(_HOLDER_WIDTH).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _beside(database: Path, suffix: str) -> Path:
    # The database file itself, whatever path (a symlink, a relative path) reaches it: one lock per database.
    real = database.resolve()
    return real.with_name(real.name + suffix)


def daemon_lock(database: Path) -> FileLock:
    """The lock held by the one daemon of this database."""
    return FileLock(_beside(database, ".daemon.lock"), "A watcher daemon")


def check_lock(database: Path) -> FileLock:
    """The lock held by a check of this database, daemon or one-shot."""
    return FileLock(_beside(database, ".check.lock"), "A check")
