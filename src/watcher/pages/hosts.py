"""Who a URL is addressed to, what may be shown of it, where its redirects may lead, and what each host asked.

A host is its name and port (`www.letudiant.fr`, `127.0.0.1:8080`). Per host, `Hosts` keeps the time before
which it is not asked (Retry-After, the pause after a failure), its robots.txt, and when it was last asked; it
spaces two requests by `delay_seconds`, or the robots.txt Crawl-delay when that is longer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote

import httpx

from watcher.errors import FetchError, Postponed
from watcher.model import HostMemory
from watcher.pages.robots import Robots

log = logging.getLogger("watcher.fetch")

_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#\s]*)@")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
MAX_REDIRECTS = 5  # RFC 9309 asks to follow five for robots.txt; a page needs fewer
LONGEST_PAUSE = timedelta(days=1)  # a host asking for more (Retry-After: 2035-…) is asked again after a day
_FAR = 365 * 86400.0  # a Retry-After read as at most a year, so that no arithmetic on it overflows


def redacted(url: str) -> str:
    """The URL without its user:password@, for anything shown or kept (errors, logs, the fetch log, pages).

    Every URL in a longer text loses its user:password@ too (a browser's error line, say).
    """
    return _USERINFO.sub(r"\1", url) if "@" in url else url  # the search alone costs more than a request's logic


def credentials(url: str) -> tuple[str, str] | None:
    """The user and password a URL carries (`https://user:password@host/`), if any."""
    found = _USERINFO.match(url)
    if found is None:
        return None
    user, _, password = found.group(2).partition(":")
    return unquote(user), unquote(password)


def with_credentials(url: str, login: tuple[str, str] | None) -> str:
    """The URL with the user and password put back, for the one tool that needs them in it (the browser)."""
    if login is None or _USERINFO.match(url):
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{quote(login[0], safe='')}:{quote(login[1], safe='')}@{rest}"


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`; None when absent or unreadable."""
    value = (value or "").strip()
    if re.fullmatch(r"[0-9]+", value):  # ASCII digits only: "²" is a digit to str.isdigit, not to float()
        return min(float(value), _FAR)
    try:
        when = parsedate_to_datetime(value)
    except (ValueError, OverflowError):
        return None
    return min(max(0.0, (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() - now.timestamp()), _FAR)


def strip_fragment(url: str) -> str:
    """A fragment only steers the page's script; the server never sees it."""
    return url.split("#", 1)[0]


def redirect_target(url: str, seen: list[str], location: str, *, anywhere: bool) -> str:
    """Where a redirect leads, redacted; `FetchError` off the host (unless `anywhere`), in a loop, or too long."""
    # httpx has already refused a Location it cannot read (a RemoteProtocolError, so the attempt failed).
    target = redacted(strip_fragment(str(httpx.URL(seen[-1]).join(location))))
    chain = " → ".join([*seen, target])
    if not target.startswith(("http://", "https://")):
        raise FetchError(f"{url} redirects to {target}, which is not a web page.", url=url)
    if not anywhere and host_of(target) != host_of(url):
        raise FetchError(
            f"{url} redirects to another host, {host_of(target)} (not {host_of(url)}): {chain}. watcher does "
            "not follow it. If the ranking moved there, put its new address in the config.",
            url=url,
        )
    if target in seen:
        raise FetchError(f"{url} redirects in a loop ({chain}); the site is misconfigured.", url=url)
    if len(seen) > MAX_REDIRECTS:
        raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times ({chain}).", url=url)
    return target


@lru_cache(maxsize=256)  # asked several times per request, of the same few URLs
def host_of(url: str) -> str:
    """The host a URL is addressed to: its name in lower case, and its port unless the scheme's default."""
    scheme, _, rest = redacted(url).partition("://")
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0].lower()
    return netloc.removesuffix(_DEFAULT_PORTS.get(scheme.lower(), "\0"))


def shown_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _utc(when: datetime | None) -> datetime | None:
    # A time read back from the database may have lost its zone; the store writes UTC.
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(slots=True)
class _Host:
    not_before: datetime | None = None
    robots: Robots | None = None
    last_request: float | None = None  # on the monotonic clock: spacing within this process


class Hosts:
    """Per-host timing and robots.txt, started from what earlier processes remembered."""

    def __init__(
        self,
        remembered: Sequence[HostMemory],
        *,
        agent: str,
        delay: float,
        longest_wait: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._agent, self._delay, self._longest_wait = agent, delay, longest_wait
        self._clock, self._sleep = clock, sleep
        self._hosts: dict[str, _Host] = {}
        for memory in remembered:
            fetched_at = _utc(memory.robots_fetched_at)
            robots = None if fetched_at is None else Robots(memory.robots, memory.robots_status, fetched_at)
            self._hosts[memory.host] = _Host(_utc(memory.not_before), robots)

    def _host(self, host: str) -> _Host:
        return self._hosts.setdefault(host, _Host())

    def robots(self, host: str) -> Robots | None:
        return self._host(host).robots

    def keep_robots(self, host: str, robots: Robots) -> None:
        self._host(host).robots = robots
        delay = self._crawl(host)
        log.debug(
            "robots.txt of %s: %s, %s",
            host,
            robots.status or robots.problem or "no answer",
            f"Crawl-delay {delay:g} s" if delay is not None else "no Crawl-delay",
        )

    def _crawl(self, host: str) -> float | None:
        robots = self._host(host).robots
        return robots.crawl_delay(self._agent) if robots else None

    def wait_turn(self, url: str) -> None:
        """Wait until the host may be asked; `Postponed` at once when it asked for longer than watcher waits."""
        host = self._host(host_of(url))
        now = datetime.now(UTC)
        asked = (host.not_before - now).total_seconds() if host.not_before else 0.0
        if asked > self._longest_wait:
            assert host.not_before is not None
            raise Postponed(
                f"{redacted(url)} was not asked: its host asked watcher to wait until {shown_time(host.not_before)} "
                f"(Retry-After, or a pause after failed attempts), longer than watcher waits "
                f"(fetch.max_retry_after_seconds = {self._longest_wait:g} s). The first check after that time "
                "will ask again.",
                url=redacted(url),
                not_before=host.not_before,
            )
        spacing = max(self._delay, self._crawl(host_of(url)) or 0.0)
        since = None if host.last_request is None else self._clock() - host.last_request
        pause = max(asked, spacing - since if since is not None else 0.0, 0.0)
        if pause > 0:
            if pause >= 0.1:
                log.debug("waiting %.1f s before asking %s again", pause, host_of(url))
            self._sleep(pause)
        host.last_request = self._clock()

    def asked(self, url: str) -> None:
        """Note a request made without waiting (a redirect followed at once, as a browser does)."""
        self._host(host_of(url)).last_request = self._clock()

    def defer(self, url: str, seconds: float) -> datetime:
        """The host is not asked again for `seconds` (at most a day); returns when it may be."""
        until = datetime.now(UTC) + min(timedelta(seconds=seconds), LONGEST_PAUSE)
        self._host(host_of(url)).not_before = until
        return until

    def adopt(self, memories: Sequence[HostMemory]) -> None:
        """What another process just learnt of each host (pauses asked, robots.txt); it has just asked them."""
        for memory in memories:
            host = self._host(memory.host)
            host.not_before = _utc(memory.not_before)
            fetched_at = _utc(memory.robots_fetched_at)
            if fetched_at is not None:
                host.robots = Robots(memory.robots, memory.robots_status, fetched_at)
            host.last_request = self._clock()

    def merge(self, remembered: Sequence[HostMemory]) -> None:
        """What the database holds now, written meanwhile by another process (a `watcher check` run by hand):
        the later pause and the newer robots.txt win, so that this process neither forgets nor undoes them."""
        for memory in remembered:
            host = self._host(memory.host)
            not_before = _utc(memory.not_before)
            if not_before is not None and (host.not_before is None or not_before > host.not_before):
                host.not_before = not_before
            fetched_at = _utc(memory.robots_fetched_at)
            if fetched_at is not None and (host.robots is None or fetched_at > host.robots.fetched_at):
                host.robots = Robots(memory.robots, memory.robots_status, fetched_at)

    def memories(self) -> tuple[HostMemory, ...]:
        """What to keep for the next process: one value per host this one knows."""
        now = datetime.now(UTC)
        return tuple(
            HostMemory(
                host=name,
                not_before=host.not_before if host.not_before and host.not_before > now else None,
                robots=host.robots.body if host.robots else None,
                robots_status=host.robots.status if host.robots else None,
                robots_fetched_at=host.robots.fetched_at if host.robots else None,
                crawl_delay=self._crawl(name),
            )
            for name, host in sorted(self._hosts.items())
        )
