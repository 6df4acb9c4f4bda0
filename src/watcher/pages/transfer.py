"""One HTTP exchange, bounded: a deadline over the whole of it, and a cap on the body as decoded.

httpx bounds each read of the network, not the whole: a server that sends one byte a second never trips its
timeout. `Deadline` closes the connection when the exchange's time is up, whatever phase it is in.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import ssl
import threading
import time
import zlib
from functools import lru_cache
from typing import Any

import httpx

from watcher.errors import FetchError

# The encodings asked for: both decoded here, with a bound on what one network read may expand to.
ACCEPT_ENCODING = "gzip, deflate"
REDIRECTS = (301, 302, 303, 307, 308)


def client_for(scheme: str, user_agent: str, timeout: float, *, transport: httpx.BaseTransport | None) -> httpx.Client:
    """The client for one scheme: redirects left to the caller, and a new connection for each request."""
    # Over http no TLS is negotiated: a context that trusts no authority, so can verify nothing, is enough.
    verify = True if scheme == "https" else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return httpx.Client(
        headers={
            "User-Agent": user_agent,
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        verify=verify,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,  # followed by hand: on the same host only, each one logged
        # One connection per request: the deadline cuts the connection it saw being made.
        limits=httpx.Limits(max_keepalive_connections=0),
        transport=transport,
    )


@lru_cache(maxsize=64)  # the same few pages at every check; parsing a URL costs httpx as much as our request logic
def address_of(url: str) -> httpx.URL:
    """The URL as httpx reads it (raises `httpx.InvalidURL`), parsed once per process for each page."""
    return httpx.URL(url)


class Deadline:
    """Shuts the exchange's socket down after `seconds`; `expired` says whether it did.

    The socket is taken from httpcore's `trace` extension when the connection is made, so the client must not
    reuse connections (a reused one is never "made", and could not be cut).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._over = False

    def __enter__(self) -> Deadline:
        _WATCHDOG.watch(self, time.monotonic() + self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._over = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: keeps a handle on each connection made, to cut it when time is up."""
        if not event.endswith("connect_tcp.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            # A duplicate stays valid when TLS takes the original over; shutting it down ends both.
            handle = sock.dup()
            self._sockets.append(handle)
            if self.expired:
                _cut(handle)

    def _expire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.expired = True
            for sock in self._sockets:
                _cut(sock)


class _Watchdog:
    """One thread that expires the deadlines as they fall due: starting a thread per request cost about 0.2 ms,
    as much as the rest of an unchanged page's request."""

    def __init__(self) -> None:
        self.start_afresh()

    def start_afresh(self) -> None:
        """No deadline and no thread yet (also what a forked child starts from)."""
        self._due: list[tuple[float, int, Deadline]] = []  # a heap, earliest first; finished ones left to lapse
        self._order = itertools.count()  # ties broken by arrival, never by comparing deadlines
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline, at: float) -> None:
        with self._changed:
            heapq.heappush(self._due, (at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():  # never started here, or ended by an error
                thread = threading.Thread(target=self._run, name="watcher-deadlines", daemon=True)
                thread.start()
                self._thread = thread
            elif self._due[0][2] is deadline:  # due before what the thread waits for: it must wait less
                self._changed.notify()

    def _run(self) -> None:
        with self._changed:
            while True:
                if not self._due:
                    self._changed.wait()
                    continue
                at, _, deadline = self._due[0]
                left = at - time.monotonic()
                if left > 0 and not deadline._over:
                    self._changed.wait(min(left, _LONGEST_WAIT))
                    continue
                heapq.heappop(self._due)
                deadline._expire()  # a no-op for a deadline whose exchange has ended


_LONGEST_WAIT = 3600.0  # seconds: a longer wait would overflow the lock's timeout and end the thread
_WATCHDOG = _Watchdog()
# A forked child (`watcher.apart`) has no thread but the one that forked: it starts its own watchdog when needed
# (so a deadline entered before the fork is not cut in the child: none is, as the daemon forks between requests).
os.register_at_fork(after_in_child=_WATCHDOG.start_afresh)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side: nothing left to cut
        sock.shutdown(socket.SHUT_RDWR)


def read_body(response: httpx.Response, *, cap: int, url: str) -> bytes:
    """The body, decoded; `FetchError` past `cap` bytes (declared or decoded) or for an encoding not asked for."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdecimal() and int(declared) > cap:  # not isdigit(): int("²") would raise
        raise FetchError(too_big(url, cap, int(declared)), url=url)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise FetchError(
            f"{url} was sent with Content-Encoding {encoding!r}, which watcher did not ask for "
            f"(it asks for {ACCEPT_ENCODING}); it was not read. The site's server is misconfigured: "
            "the next check will try again.",
            url=url,
        )
    chunks: list[bytes] = []
    size = 0
    decoder: Any = None
    for raw in response.iter_raw():
        if encoding in ("", "identity"):
            data = [raw]
        else:
            if decoder is None:
                decoder = zlib.decompressobj(_window(encoding, raw))
            data = _inflate(decoder, raw, cap - size + 1, url)
        for piece in data:
            size += len(piece)
            if size > cap:
                raise FetchError(too_big(url, cap, size), url=url)
            chunks.append(piece)
    return b"".join(chunks)


def _window(encoding: str, first: bytes) -> int:
    if encoding != "deflate":
        return 16 + zlib.MAX_WBITS  # gzip
    # "deflate" is zlib-wrapped by the standard, raw by some servers; a zlib header tells which.
    zlib_wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS


def _inflate(decoder: Any, raw: bytes, room: int, url: str) -> list[bytes]:
    # max_length bounds what one read expands to: a gzip bomb stops at the cap, not in memory.
    out: list[bytes] = []
    try:
        piece = decoder.decompress(raw, room)
        out.append(piece)
        while decoder.unconsumed_tail and (room := room - len(piece)) > 0:
            piece = decoder.decompress(decoder.unconsumed_tail, room)
            out.append(piece)
    except zlib.error as exc:
        raise FetchError(
            f"{url} sent a compressed body that cannot be decompressed ({exc}); the next check will try again.",
            url=url,
        ) from exc
    return out


def too_big(url: str, cap: int, size: int) -> str:
    return (
        f"{url} is larger than fetch.max_bytes ({cap:,} bytes; at least {size:,} received), so it was not read. "
        "Raise fetch.max_bytes if the page really is that big."
    )


def conditional(headers: dict[str, str]) -> bool:
    """Whether a request carried validators, so that a 304 answers it."""
    return "If-None-Match" in headers or "If-Modified-Since" in headers


def status_error(response: httpx.Response, headers: dict[str, str]) -> str | None:
    """What the fetch log says went wrong with an answer, or None for a page, a 304 asked for, a redirect."""
    status = response.status_code
    if 200 <= status < 300 or (status == 304 and conditional(headers)):
        return None
    if status in REDIRECTS and "Location" in response.headers:
        return None
    return f"{status} {response.reason_phrase}" + (" to a request without validators" if status == 304 else "")
