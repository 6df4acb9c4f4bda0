"""HTTP edge: polite, conditional, retried GETs of ranking pages with httpx.

Polite: a user agent naming the tool and a contact, robots.txt obeyed, a delay between two
requests to one host, Retry-After honoured. Cheap: ETag / Last-Modified sent back, so an
unchanged page costs one request and no body. Bounded: timeouts and a size cap.
"""

from __future__ import annotations

import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import version
from urllib.parse import urlsplit

import httpx
import stamina

from watcher.config import FetchConfig
from watcher.errors import FetchError
from watcher.model import FetchLog, FetchOutcome, Validators

ROBOTS_TTL = 24 * 3600  # RFC 9309: a robots.txt may be cached for up to a day


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
    """A 429 or 5xx answer, worth asking again (after Retry-After when the server gives one)."""

    def __init__(self, status: int, reason: str, retry_after: float | None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.retry_after = retry_after


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def strip_fragment(url: str) -> str:
    """A fragment only steers the page's script; the server never sees it."""
    return url.split("#", 1)[0]


class Fetcher:
    """Fetches pages for one or more checks; keeps robots.txt and per-host timing between them."""

    def __init__(
        self,
        config: FetchConfig,
        contact: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.log: list[FetchLog] = []
        self._clock, self._sleep = clock, sleep
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self.user_agent = f"watcher/{version('watcher')} (ranking change monitor; +mailto:{contact})"
        self._client = httpx.Client(
            headers={"User-Agent": self.user_agent, "Accept": "text/html,application/xhtml+xml"},
            timeout=httpx.Timeout(config.timeout_seconds),
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_log(self) -> list[FetchLog]:
        """The requests made since the last call, for the fetch log."""
        log, self.log = self.log, []
        return log

    def get(self, url: str, validators: Validators | None = None, *, browser: bool = False) -> Page:
        """GET a page, conditionally when validators are known; raise `FetchError` when it cannot be had.

        With `browser`, the page is rendered by headless Chromium instead (for content drawn by script).
        """
        url = strip_fragment(url)
        if self.config.respect_robots_txt and not self._allowed(url):
            raise FetchError(
                f"{url} is disallowed for watcher by the site's robots.txt; watcher does not fetch it. "
                "Remove this ranking from the config, or set fetch.respect_robots_txt = false "
                "if you have the site's permission.",
                url=url,
            )
        if browser:
            return self._render(url)
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return self._with_retries(url, headers)

    def _with_retries(self, url: str, headers: dict[str, str]) -> Page:
        def retry_on(exc: Exception) -> bool | float:
            if isinstance(exc, _Retryable):
                if exc.retry_after is None:
                    return True
                # A server that asks for a long pause gets it: the next scheduled check tries again.
                return exc.retry_after if exc.retry_after <= self.config.max_retry_after_seconds else False
            return isinstance(exc, httpx.TransportError)

        try:
            for attempt in stamina.retry_context(
                on=retry_on,
                attempts=self.config.attempts,
                timeout=None,
                wait_initial=self.config.backoff_seconds,
                wait_max=self.config.max_retry_after_seconds,
                wait_jitter=self.config.backoff_seconds,
            ):
                with attempt:
                    return self._request(url, headers)
        except _Retryable as exc:
            waits_long = exc.retry_after is not None and exc.retry_after > self.config.max_retry_after_seconds
            raise FetchError(
                f"{url} answered {exc}"
                + (
                    f" and asks to wait {exc.retry_after:.0f} s, longer than watcher waits within a check"
                    if waits_long
                    else f" {self.config.attempts} times"
                )
                + "; the next check will try again.",
                url=url,
                status=exc.status,
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(
                f"{url} did not answer within {self.config.timeout_seconds:g} s "
                f"({type(exc).__name__}, {self.config.attempts} attempts); the next check will try again.",
                url=url,
            ) from exc
        except httpx.HTTPError as exc:
            raise FetchError(
                f"Could not fetch {url}: {type(exc).__name__}: {exc or 'no detail'} "
                f"({self.config.attempts} attempts); the next check will try again.",
                url=url,
            ) from exc
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    def _wait_turn(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            pause = self.config.delay_seconds - (self._clock() - last)
            if pause > 0:
                self._sleep(pause)
        self._last_request[host] = self._clock()

    def _request(self, url: str, headers: dict[str, str]) -> Page:
        self._wait_turn(urlsplit(url).netloc)
        started, t0 = datetime.now(UTC), time.perf_counter()
        status, body, error = None, b"", None
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    error = f"{status} {response.reason_phrase}"
                    raise _Retryable(
                        status,
                        response.reason_phrase,
                        _retry_after(response.headers.get("Retry-After"), started),
                    )
                if status != 304 and not 200 <= status < 300:
                    error = f"{status} {response.reason_phrase}"
                    raise FetchError(
                        f"{url} answered {status} {response.reason_phrase}: the page is not there (if a ranking "
                        "moved, update its url in the config).",
                        url=url,
                        status=status,
                    )
                body = self._read_capped(response, url)
                final_url = str(response.url)
                page = Page(
                    url=final_url,
                    status=status,
                    content=body,
                    encoding=response.charset_encoding,
                    validators=Validators(url, response.headers.get("ETag"), response.headers.get("Last-Modified")),
                    headers=tuple(response.headers.items()),
                )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc or 'no detail'}"
            raise
        except FetchError as exc:
            error = error or str(exc)
            raise
        finally:
            self._log(url, started, t0, status, len(body), error)
        return page

    def _log(self, url: str, started: datetime, t0: float, status: int | None, size: int, error: str | None) -> None:
        outcome: FetchOutcome = "failed" if error else ("not-modified" if status == 304 else "fetched")
        duration = round((time.perf_counter() - t0) * 1000)
        self.log.append(FetchLog(url, started, status, size, duration, outcome, error))

    def _render(self, url: str) -> Page:
        from watcher.pages.browser import render  # a subprocess, only for rankings that need it

        self._wait_turn(urlsplit(url).netloc)
        started, t0 = datetime.now(UTC), time.perf_counter()
        content, error = b"", None
        try:
            content = render(url, user_agent=self.user_agent, timeout=max(self.config.timeout_seconds, 30.0))
        except FetchError as exc:
            error = str(exc)
            raise
        finally:
            self._log(url, started, t0, None if error else 200, len(content), error)
        return Page(url=url, status=200, content=content, encoding="utf-8", validators=Validators(url, None, None))

    def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        cap = self.config.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(self._too_big(url, int(declared)), url=url)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchError(self._too_big(url, size), url=url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, url: str, size: int) -> str:
        return (
            f"{url} is larger than fetch.max_bytes ({self.config.max_bytes:,} bytes; at least {size:,} "
            "received), so it was not read. Raise fetch.max_bytes if the page really is that big."
        )

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is None or self._clock() - cached[0] > ROBOTS_TTL:
            cached = (self._clock(), self._read_robots(origin))
            self._robots[origin] = cached
        return cached[1].can_fetch(self.user_agent, url)

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        try:
            lines = self._with_retries(f"{origin}/robots.txt", {}).content.decode("utf-8", "replace").splitlines()
        except FetchError as exc:
            if exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
                raise FetchError(
                    f"The site's robots.txt could not be read ({exc}); watcher does not fetch a site whose "
                    "rules it cannot read. The next check will try again.",
                    url=exc.url,
                    status=exc.status,
                ) from exc
            lines = []  # RFC 9309: no robots.txt (4xx) means no restriction
        parser.parse(lines)
        return parser
