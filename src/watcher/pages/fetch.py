"""HTTP edge: polite, conditional, retried, bounded GETs of ranking pages with httpx.

Polite: a user agent naming the tool and a contact, robots.txt obeyed (RFC 9309), Crawl-delay or `delay_seconds`
between two requests to one host, Retry-After and the pause after failures honoured, also by the next process.
Cheap: ETag / Last-Modified sent back, so an unchanged page costs one request and no body. Bounded: a deadline
over each request, a size cap on the body, redirects kept on the host. Discreet: a URL's user:password@ is used
to log in and never shown (`redacted`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

import httpx

from watcher.config import FetchConfig
from watcher.errors import DeadlinePassed, FetchError, Postponed
from watcher.model import FetchLog, FetchOutcome, HostMemory, Validators
from watcher.pages.hosts import (
    LONGEST_PAUSE,
    Hosts,
    credentials,
    host_of,
    redacted,
    redirect_target,
    retry_after_seconds,
    shown_time,
    strip_fragment,
    with_credentials,
)
from watcher.pages.robots import UNREADABLE_FOR, Robots
from watcher.pages.transfer import REDIRECTS, Deadline, address_of, client_for, conditional, read_body, status_error

__all__ = ["Fetcher", "Page", "redacted", "strip_fragment"]

log = logging.getLogger("watcher.fetch")


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched page: its bytes (empty when the server said 304 Not Modified)."""

    url: str
    status: int
    content: bytes
    encoding: str | None
    validators: Validators
    headers: tuple[tuple[str, str], ...] = ()  # the response's headers, as received (for `watcher capture`)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Retryable(Exception):
    """An attempt that may succeed if made again: a 429 or 5xx answer, a network error, a timeout."""

    def __init__(self, what: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what, self.status, self.retry_after = what, status, retry_after


class Fetcher:
    """Fetches pages for one or more checks; keeps robots.txt and per-host timing, within and across processes.

    The hosts contract: `hosts` is what earlier processes remembered (the `hosts` table), one `HostMemory` per
    host; `fetcher.hosts()` is what to write back, one per host this Fetcher knows (given or met), to be stored
    whole, replacing the row. `not_before` (UTC, None once past) is when the host may be asked again: set by a
    Retry-After (at most a day ahead) or the pause after a failed attempt, and honoured by every request, the
    first one of a new Fetcher included: waited when it ends within `fetch.max_retry_after_seconds`, else a
    `Postponed` at once. `robots`, `robots_status`, `robots_fetched_at` are the last reading of robots.txt (a
    status None with a time: the host did not answer), read again after a day (after 30 min when it could not
    be read). `crawl_delay` is what that robots.txt asks of watcher (or of *), at most 60 s, for information: it
    is read again from `robots`.

    Worst case of one `get`: robots.txt when due (one request, no retry), then at most `attempts` requests;
    each request, redirects included, ends within `timeout_seconds` (connect, headers and the whole body);
    before each, a pause of at most max(`max_retry_after_seconds`, the host's spacing, at most 60 s). So at
    most (attempts + 1) × (timeout_seconds + max(max_retry_after_seconds, 60 s)); with the defaults, 12.5 min.
    A host asking for a longer pause is not waited for: `Postponed` says when it may be asked again.
    """

    def __init__(
        self,
        config: FetchConfig,
        contact: str,
        hosts: Sequence[HostMemory] = (),
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.log: list[FetchLog] = []
        self.user_agent = f"watcher/{version('watcher')} (ranking change monitor; +mailto:{contact})"
        self._hosts = Hosts(
            hosts,
            agent=self.user_agent,
            delay=config.delay_seconds,
            longest_wait=config.max_retry_after_seconds,
            clock=clock,
            sleep=sleep,
        )
        self._logins: dict[str, tuple[str, str]] = {}  # per host, from a URL's user:password@
        self._until: float | None = None  # monotonic time by which the current check must be done
        self._limit = 0.0
        self._transport = transport
        self._clients: dict[str, httpx.Client] = {}  # per scheme, made when first needed (`_client`)

    def _client(self, url: str) -> httpx.Client:
        """The client for the URL's scheme: loading the certificate authorities costs more CPU than a whole
        unchanged check, so it is done only when a page is asked for over https."""
        scheme = "https" if url.lower().startswith("https:") else "http"
        if scheme not in self._clients:
            self._clients[scheme] = client_for(
                scheme, self.user_agent, self.config.timeout_seconds, transport=self._transport
            )
        return self._clients[scheme]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_log(self) -> list[FetchLog]:
        """The requests made since the last call, for the fetch log."""
        log, self.log = self.log, []
        return log

    def hosts(self) -> tuple[HostMemory, ...]:
        """What to remember of each host for the next process (see the class's docstring)."""
        return self._hosts.memories()

    def remember(self, hosts: Sequence[HostMemory]) -> None:
        """Take in what the database says of each host now (a long-lived fetcher, before each run)."""
        self._hosts.merge(hosts)

    def adopt(self, log: Sequence[FetchLog], hosts: Sequence[HostMemory]) -> None:
        """The requests a copy of this Fetcher made in a child process (`watcher.apart`), and what it learnt."""
        self.log.extend(log)
        self._hosts.adopt(hosts)

    def get(
        self, url: str, validators: Validators | None = None, *, browser: bool = False, within: str | None = None
    ) -> Page:
        """GET a page, conditionally when validators are known; raise `FetchError` when it cannot be had.

        With `browser`, the page is rendered by headless Chromium instead (for content drawn by script). With
        `within` (the page a link was read from), a URL on another host is refused.
        """
        url = strip_fragment(url)
        login = credentials(url)
        url = redacted(url)
        try:
            address = address_of(url)
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url} is not a web address ({exc}); check the link or the config.", url=url) from exc
        if address.scheme not in ("http", "https") or not address.raw_host:
            raise FetchError(
                f"{url} is not the address of a web page (http:// or https://, then a host); watcher does not "
                "fetch it. Check the link or the config.",
                url=url,
            )
        if login is not None:
            self._logins[host_of(url)] = login
        if within is not None and host_of(within) != host_of(url):
            raise FetchError(
                f"{url} is on the host {host_of(url)}, but it was linked from {redacted(within)} on "
                f"{host_of(within)}; watcher follows links only on the host of the configured ranking.",
                url=url,
            )
        if self.config.respect_robots_txt:
            self._obey_robots(url)
        if browser:
            return self._render(url)
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return self._with_retries(url, headers)

    def _with_retries(self, url: str, headers: dict[str, str]) -> Page:
        attempts = self.config.attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._page(url, headers, *self._attempt(url, headers))
            except _Retryable as exc:
                asked = exc.retry_after
                pause = asked if asked is not None else self._backoff(attempt)
                until = self._hosts.defer(url, pause)
                if asked is not None and asked > self.config.max_retry_after_seconds:
                    capped = " (watcher honours at most a day of it)" if asked > LONGEST_PAUSE.total_seconds() else ""
                    raise Postponed(
                        f"{url} {exc.what} and asks to wait {asked:.0f} s{capped}, longer than watcher waits within "
                        f"a check (fetch.max_retry_after_seconds = {self.config.max_retry_after_seconds:g} s). "
                        f"watcher will not ask this host again before {shown_time(until)}.",
                        url=url,
                        not_before=until,
                        status=exc.status,
                    ) from exc
                if attempt == attempts:
                    raise FetchError(
                        f"{url} {exc.what} ({attempts} attempt{'s' if attempts > 1 else ''}); the next check will "
                        "try again.",
                        url=url,
                        status=exc.status,
                    ) from exc
                log.info("%s %s; attempt %d of %d, next in %.1f s", url, exc.what, attempt, attempts, pause)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    @contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """Within the block, every request ends by `seconds` from now (one check's deadline), or fails at once."""
        self._until, self._limit = time.monotonic() + seconds, seconds
        try:
            yield
        finally:
            self._until = None

    def _time_left(self, url: str) -> float:
        """The deadline of the next request: its own timeout, cut short by the check's."""
        if self._until is None:
            return self.config.timeout_seconds
        left = self._until - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(
                f"the check ran past its deadline of {self._limit:g} s (fetch.check_deadline_seconds) before it could "
                f"ask for {url}: it is abandoned and counted as failed, and the next check starts again",
                url=url,
            )
        return min(self.config.timeout_seconds, left)

    def _backoff(self, attempt: int) -> float:
        base = self.config.backoff_seconds
        return min(base * 2.0 ** (attempt - 1) + random.uniform(0, base), self.config.max_retry_after_seconds)

    def _page(self, url: str, headers: dict[str, str], response: httpx.Response, body: bytes, final: str) -> Page:
        status, reason = response.status_code, response.reason_phrase
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC))
            raise _Retryable(f"answered {status} {reason}", status=status, retry_after=retry_after)
        if status == 304 and not conditional(headers):
            raise FetchError(
                f"{url} answered 304 Not Modified to a request that asked for the whole page (watcher sent no "
                "ETag or date to compare with): the site's server or a cache in front of it is misbehaving. "
                "Nothing was read; the next check will try again.",
                url=url,
                status=status,
            )
        if status != 304 and not 200 <= status < 300:
            raise FetchError(
                f"{url} answered {status} {reason}: the page is not there (if a ranking moved, update its url in "
                "the config).",
                url=url,
                status=status,
            )
        return Page(
            url=final,
            status=status,
            content=body,
            encoding=response.charset_encoding,
            validators=Validators(url, response.headers.get("ETag"), response.headers.get("Last-Modified")),
            headers=tuple(response.headers.items()),
        )

    def _attempt(
        self, url: str, headers: dict[str, str], *, anywhere: bool = False
    ) -> tuple[httpx.Response, bytes, str]:
        """One attempt: the request and the redirects it leads to, within one deadline; (answer, body, final URL).

        Redirects are followed at once, as a browser does, on the same host only, unless `anywhere` (robots.txt).
        """
        self._hosts.wait_turn(url)
        seen = [url]
        with Deadline(self._time_left(url)) as deadline:
            while True:
                response, body = self._exchange(seen[-1], headers, deadline)
                if response.status_code not in REDIRECTS or "Location" not in response.headers:
                    return response, body, seen[-1]
                target = redirect_target(url, seen, response.headers["Location"], anywhere=anywhere)
                if not anywhere and self.config.respect_robots_txt:
                    self._obey_robots(target)
                seen.append(target)
                self._hosts.asked(target)

    def _exchange(self, url: str, headers: dict[str, str], deadline: Deadline) -> tuple[httpx.Response, bytes]:
        """One request, logged whatever happens."""
        started, t0 = datetime.now(UTC), time.perf_counter()
        status: int | None = None
        body = b""
        login = self._logins.get(host_of(url))
        try:
            try:
                with self._client(url).stream(
                    "GET",
                    address_of(url),
                    headers=headers,
                    auth=httpx.BasicAuth(*login) if login else None,
                    extensions={"trace": deadline.trace},
                ) as response:
                    status = response.status_code
                    if 200 <= status < 300:
                        body = read_body(response, cap=self.config.max_bytes, url=url)
            except httpx.TransportError as exc:
                raise self._explain(exc, deadline, answered=status is not None) from exc
            except UnicodeError as exc:  # raised by the socket's IDNA codec, past httpx's URL checks
                raise FetchError(
                    f"{url} names a host that cannot be looked up ({exc}); check the link or the config.", url=url
                ) from exc
            if deadline.expired:  # a cut body sent without a length looks whole: it is not
                raise self._explain(None, deadline, answered=True)
        except _Retryable as exc:
            self._log(url, started, t0, status, len(body), exc.what)
            raise
        except FetchError as exc:
            self._log(url, started, t0, status, len(body), str(exc))
            raise
        self._log(url, started, t0, status, len(body), status_error(response, headers))
        return response, body

    def _explain(self, exc: httpx.TransportError | None, deadline: Deadline, *, answered: bool) -> _Retryable:
        within = f"within {self.config.timeout_seconds:g} s"
        phase = "send the whole page" if answered else "answer"
        if deadline.expired or exc is None:
            return _Retryable(f"did not {phase} {within} (fetch.timeout_seconds)")
        if isinstance(exc, httpx.TimeoutException):
            return _Retryable(f"did not {phase} {within} ({type(exc).__name__})")
        return _Retryable(f"could not be reached: {type(exc).__name__}: {exc or 'no detail'}")

    def _log(self, url: str, started: datetime, t0: float, status: int | None, size: int, error: str | None) -> None:
        outcome: FetchOutcome = "failed" if error else ("not-modified" if status == 304 else "fetched")
        duration = round((time.perf_counter() - t0) * 1000)
        self.log.append(FetchLog(url, started, status, size, duration, outcome, error))
        detail = f" ({error})" if error and not error.startswith(str(status)) else ""
        log.debug("GET %s → %s, %d bytes in %d ms%s", url, error or status or "no answer", size, duration, detail)

    def _render(self, url: str) -> Page:
        from watcher.pages.browser import render  # a subprocess, only for rankings that need it

        self._hosts.wait_turn(url)
        started, t0 = datetime.now(UTC), time.perf_counter()
        content, error = b"", None
        try:
            address = with_credentials(url, self._logins.get(host_of(url)))
            content = render(address, user_agent=self.user_agent, timeout=max(self.config.timeout_seconds, 30.0))
        except FetchError as exc:
            error = str(exc)
            raise
        finally:
            self._log(url, started, t0, None if error else 200, len(content), error)
        return Page(url=url, status=200, content=content, encoding="utf-8", validators=Validators(url, None, None))

    def _obey_robots(self, url: str) -> None:
        host = host_of(url)
        robots = self._hosts.robots(host)
        if robots is None or robots.due(datetime.now(UTC)):
            robots = self._read_robots(url)
            self._hosts.keep_robots(host, robots)
        if not robots.readable:
            what = f"it answered {robots.status}" if robots.status else "the host did not answer"
            raise FetchError(
                f"{url} was not fetched: the site's robots.txt could not be read at {shown_time(robots.fetched_at)} "
                f"({robots.problem or what}), and RFC 9309 says to assume then that the site disallows everything. "
                f"watcher asks for it again after {shown_time(robots.fetched_at + UNREADABLE_FOR)}.",
                url=url,
                status=robots.status,
            )
        if not robots.allows(self.user_agent, url):
            raise FetchError(
                f"{url} is disallowed for watcher by the site's robots.txt; watcher does not fetch it. "
                "Remove this ranking from the config, or set fetch.respect_robots_txt = false "
                "if you have the site's permission.",
                url=url,
            )

    def _read_robots(self, url: str) -> Robots:
        address = str(httpx.URL(url).copy_with(path="/robots.txt", query=None, fragment=None))
        now = datetime.now(UTC)
        try:
            response, body, _ = self._attempt(address, {}, anywhere=True)
        except _Retryable as exc:
            return Robots(None, None, now, problem=exc.what)
        except (Postponed, DeadlinePassed):  # not the host's answer: nothing to remember of its robots.txt
            raise
        except FetchError as exc:
            return Robots(None, None, now, problem=str(exc))
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), now)
            if retry_after is not None:
                self._hosts.defer(address, retry_after)
        return Robots(body.decode("utf-8", "replace") if 200 <= status < 300 else None, status, now)
