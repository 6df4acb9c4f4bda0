"""The fetch edge when the other side misbehaves: deadlines, bad headers, bombs, pauses across checks, robots.txt
kept and obeyed, redirects and links kept on the host, credentials never shown, a readable -v. Real servers only:
pytest-httpserver, and a raw TCP server for what no HTTP server does (one byte a second, a broken length)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import tomllib
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from watcher.config import FetchConfig, from_dict
from watcher.errors import ConfigError, FetchError, Postponed
from watcher.model import HostMemory, Validators
from watcher.pages import transfer
from watcher.pages.browser import render
from watcher.pages.fetch import Fetcher, redacted
from watcher.pages.hosts import host_of
from watcher.pages.transfer import Deadline
from watcher.tables import build

from .conftest import LIST_PATH, Site, free_port

CONTACT = "comms@example.org"
DURATIONS = ("timeout_seconds", "delay_seconds", "backoff_seconds", "max_retry_after_seconds")


def config(**overrides: object) -> FetchConfig:
    return build(FetchConfig, {"delay_seconds": 0, "backoff_seconds": 0.01, "timeout_seconds": 2, **overrides})


def fetcher(hosts: tuple[HostMemory, ...] = (), sleeps: list[float] | None = None, **overrides: object) -> Fetcher:
    """A Fetcher on the real clock; with `sleeps`, its pauses are recorded instead of slept."""
    if sleeps is None:
        return Fetcher(config(**overrides), CONTACT, hosts)
    return Fetcher(config(**overrides), CONTACT, hosts, sleep=sleeps.append)


class RawServer:
    """A real TCP server on 127.0.0.1 whose answers a test writes byte by byte."""

    def __init__(self, answer: Callable[[socket.socket, str], None], tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.paths: list[str] = []
        self.sent = 0  # bytes sent by drip(), so a test sees whether the client hung up before the end
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, args=(answer,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def drip(self, conn: socket.socket, data: bytes, every: float = 1.0) -> None:
        """Send `data` one byte every `every` seconds (until the test ends or the client hangs up)."""
        for byte in data:
            if self.stop.wait(every):
                return
            conn.sendall(bytes([byte]))
            self.sent += 1

    def _serve(self, answer: Callable[[socket.socket, str], None]) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn, answer), daemon=True).start()

    def _one(self, conn: socket.socket, answer: Callable[[socket.socket, str], None]) -> None:
        # Requests are read one after the other on the connection, as a keep-alive server does.
        with conn, contextlib.suppress(OSError):  # the client hung up: what the test wanted
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            head = b""
            while True:
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                request, _, head = head.partition(b"\r\n\r\n")
                path = request.split(b" ", 2)[1].decode()
                self.paths.append(path)
                answer(conn, path)

    def close(self) -> None:
        self.stop.set()
        self._listener.close()


@pytest.fixture
def raw() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Callable[[socket.socket, str], None], tls: ssl.SSLContext | None = None) -> RawServer:
        servers.append(RawServer(answer, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# 1. A deadline over the whole request.


def test_a_body_sent_one_byte_a_second_ends_at_the_deadline(raw: Callable[..., RawServer]) -> None:
    def answer(conn: socket.socket, path: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n")
        server.drip(conn, b"<html>0123456789ab</html>"[:20])

    server = raw(answer)
    with fetcher(timeout_seconds=2.5, attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/slow.html"))
    assert "did not send the whole page within 2.5 s (fetch.timeout_seconds)" in str(caught.value)
    assert "/slow.html" in str(caught.value)
    assert server.sent < 20  # the client hung up: it did not wait for the last byte


def test_headers_sent_one_byte_a_second_end_at_the_deadline(raw: Callable[..., RawServer]) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = raw(lambda conn, path: server.drip(conn, answer))
    with fetcher(timeout_seconds=2.5, attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/loris.html"))
    assert "did not answer within 2.5 s (fetch.timeout_seconds)" in str(caught.value)
    assert server.sent < len(answer)


def test_a_body_without_length_cut_at_the_deadline_is_not_taken_for_a_page(raw: Callable[..., RawServer]) -> None:
    def answer(conn: socket.socket, path: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>")
        server.drip(conn, b"0123456789abcdef</html>")

    server = raw(answer)
    with fetcher(timeout_seconds=2.5, attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/endless.html"))
    assert "did not send the whole page" in str(caught.value)
    assert f.take_log()[-1].outcome == "failed"


def test_the_deadline_holds_on_a_connection_the_server_keeps_open(raw: Callable[..., RawServer]) -> None:
    def answer(conn: socket.socket, path: str) -> None:
        if path == "/robots.txt":  # answered at once, and the connection left open for the next request
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\nUser-agent: *\nAllow: /\n")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n")
            server.drip(conn, b"<html>0123456789</ht")

    server = raw(answer)
    with fetcher(timeout_seconds=2.5, attempts=1) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/slow.html"))
    assert "did not send the whole page within 2.5 s" in str(caught.value)
    assert server.paths == ["/robots.txt", "/slow.html"]
    assert server.sent < 20


def test_the_deadline_holds_over_tls(
    raw: Callable[..., RawServer], test_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("127.0.0.1").configure_cert(tls)
    test_ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # what httpx trusts

    def answer(conn: socket.socket, path: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n")
        server.drip(conn, b"<html>0123456789</ht")

    server = raw(answer, tls)
    with fetcher(timeout_seconds=2.5, attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/slow.html"))
    assert server.url("").startswith("https://")
    assert "did not send the whole page within 2.5 s" in str(caught.value)
    assert server.sent < 20


def test_a_connection_made_after_the_deadline_is_cut_at_once() -> None:
    # A host name that takes longer than the deadline to look up cannot be staged on 127.0.0.1: the moment the
    # connection is made is played here with a real socket pair and an object shaped as httpcore's stream.
    class Stream:
        def __init__(self, sock: socket.socket) -> None:
            self.sock = sock

        def get_extra_info(self, name: str) -> socket.socket | None:
            return self.sock if name == "socket" else None

    ours, theirs = socket.socketpair()
    with ours, theirs, Deadline(0.05) as deadline:
        while not deadline.expired:
            threading.Event().wait(0.02)
        deadline.trace("connection.connect_tcp.complete", {"return_value": Stream(ours)})
        theirs.settimeout(5)
        assert theirs.recv(10) == b""  # our side was shut down: the other end reads the end of the stream


def _expires_within(deadline: Deadline, seconds: float) -> bool:
    return any(deadline.expired or threading.Event().wait(0.01) for _ in range(int(seconds / 0.01)))


def test_a_shorter_deadline_set_while_a_longer_one_runs_expires_on_time() -> None:
    # One thread watches every deadline: it must stop waiting for the longer one to expire the shorter one.
    with Deadline(0.01) as warm:  # the watchdog thread is running, so it is waiting for `longer` below
        assert _expires_within(warm, 5)
    with Deadline(60) as longer:
        threading.Event().wait(0.05)
        with Deadline(0.05) as shorter:
            assert _expires_within(shorter, 5)
        assert not longer.expired


def test_the_watchdog_waits_for_a_deadline_too_far_for_a_lock_without_ending() -> None:
    # One thread serves every deadline: a wait the lock cannot take (an overflow) must not end it.
    with Deadline(0.01) as warm:
        assert _expires_within(warm, 5)
    thread = transfer._WATCHDOG._thread
    with Deadline(threading.TIMEOUT_MAX * 2) as far:
        threading.Event().wait(0.05)
        with Deadline(0.05) as near:
            assert _expires_within(near, 5)
    assert not far.expired
    assert transfer._WATCHDOG._thread is thread


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the error, on purpose
def test_a_watchdog_ended_by_an_error_is_started_again_for_the_next_deadline() -> None:
    class Failing(Deadline):
        def _expire(self) -> None:
            raise RuntimeError("a bug in expiring")

    with Failing(0.01):
        thread = transfer._WATCHDOG._thread
        assert thread is not None
        thread.join(5)
        assert not thread.is_alive()
    with Deadline(0.05) as deadline:
        assert _expires_within(deadline, 5)


def test_a_deadline_in_a_forked_child_expires_there_too() -> None:
    # The daemon reads changed pages in a fork (`watcher.apart`), where the parent's watchdog thread does not run.
    with Deadline(0.01) as warm:  # the parent's watchdog thread is running before the fork
        assert _expires_within(warm, 5)
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child reports by its exit code, and never goes back to pytest)
        try:
            with Deadline(0.05) as deadline:
                os._exit(0 if _expires_within(deadline, 5) else 1)
        finally:
            os._exit(2)
    for _ in range(1000):  # 10 s at most: a child stuck for ever fails the test, it does not hang the run
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        threading.Event().wait(0.01)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child did not end within 10 s")
    assert os.waitstatus_to_exitcode(status) == 0


def test_each_attempt_has_its_own_deadline_and_attempts_are_counted(raw: Callable[..., RawServer]) -> None:
    server = raw(lambda conn, path: server.drip(conn, b"HTTP/1.1 200 OK\r\n\r\n"))
    with fetcher(timeout_seconds=1.5, attempts=2, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/loris.html"))
    assert "(2 attempts)" in str(caught.value)
    assert server.paths == ["/loris.html", "/loris.html"]


# 2. What used to crash, or to pass for a page.


@pytest.mark.parametrize(
    "value",
    [
        "²",
        "-5",
        "1.5",
        "soon",
        "",
        "Wed, 99 Foo 2020 25:61:00 GMT",
        "1 Jan 10000000000 00:00:00",
        "1 Jan 2020 1:00 +9999",
    ],
)
def test_an_unreadable_retry_after_means_the_usual_backoff(site: Site, httpserver: HTTPServer, value: str) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 503, times=1, **{"Retry-After": value})
    with fetcher(attempts=2) as f:
        page = f.get(httpserver.url_for(LIST_PATH))
    assert page.status == 200
    assert len(site.list_requests()) == 2


def test_a_retry_after_far_in_the_future_is_capped_to_a_day_and_says_so(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 503, times=1, **{"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"})
    with fetcher(attempts=3) as f, pytest.raises(Postponed) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    message = str(caught.value)
    assert "at most a day" in message and "will not ask this host again before" in message
    assert caught.value.not_before <= datetime.now(UTC) + timedelta(days=1)
    assert caught.value.status == 503 and len(site.list_requests()) == 1


def test_a_retry_after_of_four_hundred_digits_is_capped_too(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 429, times=1, **{"Retry-After": "9" * 400})
    with fetcher(attempts=3) as f, pytest.raises(Postponed) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    assert caught.value.not_before <= datetime.now(UTC) + timedelta(days=1)


def test_a_304_to_a_request_without_validators_is_an_error_not_a_page(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page.html").respond_with_data("", status=304)
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/page.html"))
    assert "304 Not Modified" in str(caught.value) and "sent no ETag" in str(caught.value)
    assert f.take_log()[-1].outcome == "failed"


def test_a_304_to_a_conditional_request_is_not_modified(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page.html").respond_with_data("", status=304)
    with fetcher() as f:
        assert f.get(httpserver.url_for("/page.html"), Validators("x", '"v1"', None)).not_modified


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n<html></html>",
        b"HTTP/1.1 200 OK\r\nContent-Length: \xc2\xb2\r\n\r\n<html></html>",
        b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n<html></html>",  # then the server hangs up
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
        b"nonsense\r\n\r\n",
    ],
)
def test_a_broken_answer_is_a_fetch_error(raw: Callable[..., RawServer], answer: bytes) -> None:
    server = raw(lambda conn, path: conn.sendall(answer))
    with fetcher(attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError):
        f.get(server.url("/broken.html"))


@pytest.mark.parametrize(
    "url", ["http://[::1", "ftp://files.example.org/list.html", "http:///list.html", "http://xn--/list.html"]
)
def test_an_address_that_is_not_a_web_page_is_a_fetch_error(url: str) -> None:
    with fetcher(attempts=1) as f, pytest.raises(FetchError):
        f.get(url)


def test_a_host_name_that_cannot_be_looked_up_is_a_fetch_error() -> None:
    with fetcher(attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get("http://" + "a" * 70 + ".example.org/list.html")  # a label over 63 letters: refused before any lookup
    assert "cannot be looked up" in str(caught.value)


def test_a_redirect_to_another_protocol_is_refused(raw: Callable[..., RawServer]) -> None:
    server = raw(
        lambda conn, path: conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: ftp://x/\r\nContent-Length: 0\r\n\r\n")
    )
    with fetcher(attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/page.html"))
    assert "which is not a web page" in str(caught.value)


def test_an_encoding_not_asked_for_is_refused(raw: Callable[..., RawServer]) -> None:
    server = raw(
        lambda conn, path: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\nabcd")
    )
    with fetcher(attempts=1, respect_robots_txt=False) as f, pytest.raises(FetchError) as caught:
        f.get(server.url("/page.html"))
    assert "Content-Encoding 'br', which watcher did not ask for" in str(caught.value)


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * 1_000_000
    return b"".join(packer.compress(zeros) for _ in range(size // len(zeros))) + packer.flush()


def test_a_gzip_bomb_stops_at_the_cap_without_filling_memory(httpserver: HTTPServer) -> None:
    bomb = gzip_bomb(300_000_000)  # 300 MB of zeros in under 300 KB: below the cap as sent
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/bomb.html").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with fetcher(max_bytes=1_000_000) as f:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                f.get(httpserver.url_for("/bomb.html"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert "fetch.max_bytes" in str(caught.value)
    assert peak < 40_000_000  # one network read of this bomb (64 KB), decoded whole, is over 60 MB


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS, 16 + zlib.MAX_WBITS])
def test_compressed_pages_are_read_whole(httpserver: HTTPServer, wbits: int) -> None:
    html = b"<html><body>" + b"<p>Classement</p>" * 5000 + b"</body></html>"
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    encoding = "gzip" if wbits > zlib.MAX_WBITS else "deflate"  # deflate: zlib-wrapped, or raw as some servers do
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page.html").respond_with_data(
        packer.compress(html) + packer.flush(), headers={"Content-Encoding": encoding}
    )
    with fetcher() as f:
        assert f.get(httpserver.url_for("/page.html")).content == html
    assert httpserver.log[-1][0].headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        *((key, value) for key in DURATIONS for value in ("inf", "nan", "-inf", "1e9")),
        ("max_bytes", "1_000_000_000_000"),
    ],
)
def test_fetch_durations_and_sizes_are_finite_and_bounded(key: str, value: str) -> None:
    data = tomllib.loads(
        f"""[[rankings]]
name = "Palmarès"
url = "https://www.letudiant.fr/palmares.html"
[email]
to = ["comms@example.org"]
from = "watcher@example.org"
[fetch]
{key} = {value}
"""
    )
    with pytest.raises(ConfigError) as caught:
        from_dict(data, base_dir=Path("."))
    assert f"fetch.{key}:" in str(caught.value)


# 3. Polite across checks: what a host asked is remembered.


def test_a_long_retry_after_is_remembered_by_the_next_fetcher(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 429, times=1, **{"Retry-After": "3600"})
    with fetcher() as first, pytest.raises(Postponed):
        first.get(httpserver.url_for(LIST_PATH))
    remembered = first.hosts()
    (memory,) = remembered
    assert memory.host == host_of(httpserver.url_for("/")) and memory.robots_status == 200
    assert memory.not_before is not None and memory.not_before > datetime.now(UTC) + timedelta(minutes=59)
    asked = len(site.requests)
    with fetcher(remembered) as second, pytest.raises(Postponed) as caught:
        second.get(httpserver.url_for(LIST_PATH))
    assert "asked watcher to wait until" in str(caught.value) and "UTC" in str(caught.value)
    assert caught.value.not_before == memory.not_before
    assert len(site.requests) == asked  # not even robots.txt: it was remembered too


def test_a_short_remembered_pause_is_waited_out(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    host = host_of(httpserver.url_for("/"))
    remembered = (HostMemory(host, not_before=datetime.now(UTC) + timedelta(seconds=3)),)
    sleeps: list[float] = []
    with fetcher(remembered, sleeps, max_retry_after_seconds=10) as f:
        assert f.get(httpserver.url_for(LIST_PATH)).status == 200
    assert sleeps and 2 < sleeps[0] <= 3  # before the first request, robots.txt


def test_times_read_back_without_a_zone_are_taken_as_utc(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    in_an_hour = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)  # as a database may give it back
    remembered = (HostMemory(host_of(httpserver.url_for("/")), not_before=in_an_hour),)
    with fetcher(remembered) as f, pytest.raises(Postponed) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    assert caught.value.not_before == in_an_hour.replace(tzinfo=UTC)


def test_the_backoff_after_failures_is_remembered(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 503, times=1)
    with fetcher(attempts=1, backoff_seconds=30) as first, pytest.raises(FetchError):
        first.get(httpserver.url_for(LIST_PATH))
    (memory,) = first.hosts()
    assert memory.not_before is not None and memory.not_before > datetime.now(UTC) + timedelta(seconds=25)
    with fetcher(first.hosts(), max_retry_after_seconds=5) as second, pytest.raises(Postponed):
        second.get(httpserver.url_for(LIST_PATH))
    assert len(site.list_requests()) == 1


def test_robots_txt_is_remembered_for_a_day(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher() as first:
        first.get(httpserver.url_for(LIST_PATH))
    (memory,) = first.hosts()
    assert memory.robots == site.robots.decode() and memory.robots_fetched_at is not None
    with fetcher(first.hosts()) as second:
        second.get(httpserver.url_for(LIST_PATH))
    assert [r.path for r in site.requests].count("/robots.txt") == 1


def test_remembered_robots_rules_are_obeyed_without_asking(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    host = host_of(httpserver.url_for("/"))
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    remembered = (HostMemory(host, robots="User-agent: *\nDisallow: /palmares/\n", robots_status=200,
                             robots_fetched_at=an_hour_ago),)  # fmt: skip
    with fetcher(remembered) as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    assert "disallowed for watcher" in str(caught.value)
    assert site.requests == []


def test_robots_txt_older_than_a_day_is_read_again(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    host = host_of(httpserver.url_for("/"))
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    remembered = (HostMemory(host, robots="User-agent: *\nDisallow: /\n", robots_status=200,
                             robots_fetched_at=two_days_ago),)  # fmt: skip
    with fetcher(remembered) as f:
        assert f.get(httpserver.url_for(LIST_PATH)).status == 200  # today's robots.txt allows it
    assert [r.path for r in site.requests] == ["/robots.txt", LIST_PATH]


@pytest.mark.parametrize("status", [503, 500, 429])
def test_a_robots_txt_answering_5xx_means_everything_is_disallowed_for_now(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("busy", status=status, headers={"Retry-After": "3600"})
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    with fetcher() as f:
        for _ in range(2):
            with pytest.raises(FetchError) as caught:
                f.get(httpserver.url_for("/page.html"))
        (memory,) = f.hosts()
    assert "RFC 9309" in str(caught.value) and str(status) in str(caught.value) and "again after" in str(caught.value)
    assert [r.path for r, _ in httpserver.log] == ["/robots.txt"]  # asked once, then remembered
    assert memory.robots_status == status and memory.robots is None
    assert memory.not_before is not None and memory.not_before > datetime.now(UTC) + timedelta(minutes=59)


def test_an_unreachable_robots_txt_means_everything_is_disallowed_for_now(httpserver: HTTPServer) -> None:
    def hang(request: Request) -> Response:
        threading.Event().wait(1.0)
        return Response(b"", status=404)

    httpserver.expect_request("/robots.txt").respond_with_handler(hang)
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    with fetcher(timeout_seconds=0.3) as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/page.html"))
    assert "RFC 9309" in str(caught.value) and "did not answer within 0.3 s" in str(caught.value)
    (memory,) = f.hosts()
    assert memory.robots_status is None and memory.robots_fetched_at is not None


def test_crawl_delay_spaces_two_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 5\n")
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    sleeps: list[float] = []
    with fetcher(sleeps=sleeps) as f:
        f.get(httpserver.url_for("/page.html"))
        (memory,) = f.hosts()
    assert len(sleeps) == 1 and 4 < sleeps[0] <= 5  # between robots.txt and the page
    assert memory.crawl_delay == 5


def test_a_crawl_delay_for_watcher_is_honoured_up_to_a_minute(httpserver: HTTPServer) -> None:
    robots = "User-agent: *\nCrawl-delay: 1\n\nUser-agent: watcher\nCrawl-delay: 3600\nAllow: /\n"
    httpserver.expect_request("/robots.txt").respond_with_data(robots)
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    sleeps: list[float] = []
    with fetcher(sleeps=sleeps) as f:
        f.get(httpserver.url_for("/page.html"))
    assert len(sleeps) == 1 and 59 < sleeps[0] <= 60


@pytest.mark.parametrize("delay", ["²", "1e400", "-3", "0.5", "soon"])
def test_an_odd_crawl_delay_does_not_crash(httpserver: HTTPServer, delay: str) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        f"User-agent: *\nCrawl-delay: {delay}\nRequest-rate: ²/³"
    )
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    sleeps: list[float] = []
    with fetcher(sleeps=sleeps) as f:
        assert f.get(httpserver.url_for("/page.html")).status == 200
    assert all(pause <= 1 for pause in sleeps)  # 0.5 s is honoured as 1 s; the others are ignored


# 4. Redirects and links stay on the host.


def other_host(httpserver: HTTPServer, path: str) -> str:
    """The same test server under another host name: 127.0.0.1 instead of localhost."""
    return f"http://127.0.0.1:{httpserver.port}{path}"


def test_a_redirect_to_another_host_is_refused_naming_both(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/moved.html").respond_with_data(
        "", status=301, headers={"Location": other_host(httpserver, "/elsewhere.html")}
    )
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/moved.html"))
    message = str(caught.value)
    assert f"127.0.0.1:{httpserver.port}" in message and f"localhost:{httpserver.port}" in message
    assert "/elsewhere.html" not in [r.path for r, _ in httpserver.log]


def test_a_redirect_on_the_host_is_followed_and_logged(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/old.html").respond_with_data("", status=301, headers={"Location": "/new.html"})
    httpserver.expect_request("/new.html").respond_with_data("<html>new</html>", content_type="text/html")
    with fetcher() as f:
        page = f.get(httpserver.url_for("/old.html"))
        log = f.take_log()
    assert page.url == httpserver.url_for("/new.html") and page.content == b"<html>new</html>"
    assert [(e.url.rsplit("/", 1)[1], e.status, e.outcome) for e in log[1:]] == [
        ("old.html", 301, "fetched"),
        ("new.html", 200, "fetched"),
    ]


def test_a_redirect_loop_is_stopped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/a.html").respond_with_data("", status=302, headers={"Location": "/b.html"})
    httpserver.expect_request("/b.html").respond_with_data("", status=302, headers={"Location": "/a.html"})
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/a.html"))
    assert "loop" in str(caught.value) and "/a.html → " in str(caught.value)
    assert len(httpserver.log) == 3  # robots.txt, a, b


def test_a_long_chain_of_redirects_is_stopped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    for n in range(10):
        httpserver.expect_request(f"/r{n}").respond_with_data("", status=307, headers={"Location": f"/r{n + 1}"})
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/r0"))
    assert "more than 5 times" in str(caught.value)


def test_a_redirect_into_a_disallowed_path_is_refused(site: Site, httpserver: HTTPServer) -> None:
    site.robots = b"User-agent: *\nDisallow: /private/\n"
    site.pages["/private/page.html"] = b"<html></html>"
    site.fail("/page.html", 302, Location="/private/page.html")
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/page.html"))
    assert "disallowed for watcher" in str(caught.value)
    assert "/private/page.html" not in [r.path for r in site.requests]


def test_a_link_to_another_host_is_refused(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(other_host(httpserver, LIST_PATH), within=httpserver.url_for("/list.html"))
    assert "follows links only on the host" in str(caught.value)
    assert site.requests == []


# 5. Credentials log in, and are never shown.


def test_credentials_in_a_url_log_in_and_are_never_shown(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    def guarded(request: Request) -> Response:
        if request.authorization is None or request.authorization.password != "s3cret":
            return Response(b"log in", status=401)
        if request.path == "/robots.txt":
            return Response(b"User-agent: *\nAllow: /\n")
        if request.path == "/missing.html":
            return Response(b"", status=404)
        return Response(b"<html>members</html>", content_type="text/html", headers={"ETag": '"e1"'})

    httpserver.expect_request("").respond_with_handler(guarded)
    caplog.set_level(logging.DEBUG)
    secret_url = httpserver.url_for("/page.html").replace("http://", "http://reader:s3cret@")
    with fetcher() as f:
        page = f.get(secret_url + "#part")
        second = f.get(httpserver.url_for("/next.html"))  # a link on the same host: logged in as well
        with pytest.raises(FetchError) as caught:
            f.get(secret_url.replace("page.html", "missing.html"))
        shown = [page.url, page.validators.url, second.url, str(caught.value), caught.value.url]
        shown += [entry.url for entry in f.take_log()] + [repr(m) for m in f.hosts()]
    assert page.content == b"<html>members</html>" and second.status == 200
    assert page.url == httpserver.url_for("/page.html")
    assert all("s3cret" not in text and "reader" not in text for text in shown)
    assert "s3cret" not in caplog.text


def test_credentials_are_not_sent_to_another_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("").respond_with_data("<html></html>", content_type="text/html")
    with fetcher(respect_robots_txt=False) as f:
        f.get(httpserver.url_for("/a.html").replace("http://", "http://reader:s3cret@"))
        f.get(other_host(httpserver, "/b.html"))
    assert [request.authorization is not None for request, _ in httpserver.log] == [True, False]


def test_redacted_strips_every_user_and_password() -> None:
    assert redacted("https://me:p%40ss@www.example.org:8443/x?y=1#z") == "https://www.example.org:8443/x?y=1#z"
    assert redacted("https://www.example.org/a@b") == "https://www.example.org/a@b"  # an @ in the path stays
    line = "error at https://me:pw@a.org/x and http://you@b.org/ (mail me@c.org)"
    assert redacted(line) == "error at https://a.org/x and http://b.org/ (mail me@c.org)"


def test_the_browser_never_shows_credentials(tmp_path: Path) -> None:
    browser = tmp_path / "fake-chromium"
    browser.write_text('#!/bin/sh\nfor a in "$@"; do last="$a"; done\necho "failed to load $last" >&2\nexit 3\n')
    browser.chmod(0o755)
    for executable in (str(browser), str(tmp_path / "no-such-browser")):
        with pytest.raises(FetchError) as caught:
            render("https://reader:s3cret@www.example.org/x", user_agent="t", timeout=10, executable=executable)
        assert "s3cret" not in str(caught.value) and "s3cret" not in caught.value.url
        assert "www.example.org/x" in str(caught.value)


def test_a_rendered_page_logs_in_and_shows_no_credentials(
    site: Site, httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = tmp_path / "chromium"  # a stand-in that "renders" the address it was given
    browser.write_text('#!/bin/sh\nfor a in "$@"; do last="$a"; done\necho "<html>$last</html>"\n')
    browser.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with fetcher() as f:
        first = f.get(httpserver.url_for("/a.html").replace("http://", "http://reader:s3cret@"), browser=True)
        link = f.get(httpserver.url_for("/b.html"), browser=True)
        log = f.take_log()
    assert b"reader:s3cret@" in first.content and b"reader:s3cret@" in link.content  # the browser logs in
    assert all("s3cret" not in text for text in [first.url, link.url, *(entry.url for entry in log)])


# 6. -v shows watcher's own lines, one per request, not httpx's and httpcore's.


def test_each_request_and_each_retry_is_one_informative_line(
    site: Site, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 503, times=1)
    caplog.set_level(logging.DEBUG, logger="watcher.fetch")
    with fetcher(attempts=2) as f:
        f.get(httpserver.url_for(LIST_PATH))
    lines = [r.getMessage() for r in caplog.records if r.name == "watcher.fetch"]
    assert any(line.startswith("GET http://") and "/robots.txt → 200" in line for line in lines)
    assert any("503 service unavailable; attempt 1 of 2, next in" in line.lower() for line in lines)
    assert any(LIST_PATH + " → 200" in line and " bytes in " in line and " ms" in line for line in lines)


def test_verbose_command_shows_fetch_lines_and_no_library_chatter(
    site: Site, httpserver: HTTPServer, write_config: Callable[..., Path], tmp_path: Path
) -> None:
    site.edition(2020)
    path = write_config(free_port())
    command = [sys.executable, "-m", "watcher.cli", "--config", str(path), "-v", "capture"]
    done = subprocess.run(
        [*command, httpserver.url_for(LIST_PATH), str(tmp_path / "copy")], capture_output=True, text=True, timeout=120
    )
    assert "DEBUG watcher.fetch: GET http://" in done.stderr
    assert "httpcore" not in done.stderr and "httpx" not in done.stderr
