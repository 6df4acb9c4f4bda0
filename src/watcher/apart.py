"""The daemon's heavy steps (reading pages with content, writing alerts) run in a child process that ends with them.

The parser, the templates and the image library are loaded there, and the memory they take is given back when the
child exits: the daemon itself only ever holds what a check answered 304 needs. The child is a fork, so the step
sees the daemon's memory as it is; it sends back the step's value (or the exception it raised), the requests it made
and what it learnt of each host, all pickled through a pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from watcher.errors import WatcherError
from watcher.pages.fetch import Fetcher

T = TypeVar("T")
log = logging.getLogger("watcher.apart")
_running: set[int] = set()  # the children under way, ended with the daemon when it abandons a check


class Apart:
    """Runs each step given in a child process (the daemon's `Offload`); `fetcher` is the one the steps use, and it
    learns what its copy in the child did."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def __call__(self, step: Callable[[], T], /) -> T:
        made = len(self.fetcher.log)
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            _child(step, self.fetcher, made, writer)
        _running.add(pid)
        os.close(writer)
        try:
            with open(reader, "rb") as pipe:
                payload = pipe.read()
        finally:
            os.waitpid(pid, 0)
            _running.discard(pid)
        if not payload:
            raise WatcherError("the process reading the pages ended without an answer (killed?); see the log above")
        ok, value, requests, hosts = pickle.loads(payload)
        self.fetcher.adopt(requests, hosts)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


def end_children() -> None:
    """Kill the children under way: the daemon is abandoning the check they work for."""
    for pid in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _child(step: Callable[[], Any], fetcher: Fetcher, made: int, writer: int) -> NoReturn:
    # The daemon's own handlers stop its scheduler: a signal to this process only ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        try:
            outcome: tuple[bool, Any] = (True, step())
        except Exception as exc:
            if not isinstance(exc, WatcherError):  # a bug: its traceback is only here
                log.exception("a step of the check crashed in its child process")
            outcome = (False, exc)
        news = (fetcher.log[made:], fetcher.hosts())
        try:
            payload = pickle.dumps((*outcome, *news))
        except Exception as exc:  # an exception that cannot travel: its words do
            payload = pickle.dumps((False, WatcherError(f"{type(outcome[1]).__name__}: {outcome[1]} ({exc})"), *news))
        with open(writer, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # no cleanup: the database connection and the scheduler are the daemon's
