"""The fixture site for the benchmarks, run in its own process so its CPU time is never counted as ours.

`python benchmarks/fixture_site.py` serves on 127.0.0.1 the pages the benchmark uploads (with ETag / 304), a
robots.txt, and a minimal SMTP sink; it prints "HTTP_PORT SMTP_PORT" and runs until its stdin closes.
Control paths (/_bench/...) are not counted. `Site` starts it and drives it from the benchmark.
"""

from __future__ import annotations

import hashlib
import json
import re
import socketserver
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIST_PATH = (
    "/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/palmares-general-des-ecoles-d-ingenieurs/home.html"
)
PAGE2 = LIST_PATH + "?page=2"
SCHOOL_PATH = "/palmares/palmares-des-ecoles-d-ingenieurs/{slug}.html"
ROBOTS = b"User-agent: *\nAllow: /\n"


def school_pages(year: int) -> dict[str, bytes]:
    """Each school's own page (fixtures/school/<slug>-<year>.html), from that edition or the nearest one."""
    editions: dict[str, dict[int, Path]] = {}
    for path in (FIXTURES / "school").glob("*-*.html"):
        match = re.fullmatch(r"(.+)-(\d{4})\.html", path.name)
        if match:
            editions.setdefault(match.group(1), {})[int(match.group(2))] = path
    return {
        SCHOOL_PATH.format(slug=slug): by_year[min(by_year, key=lambda y: (abs(y - year), -y))].read_bytes()
        for slug, by_year in editions.items()
    }


def edition_pages(year: int, revision: int = 0) -> dict[str, bytes | None]:
    """The pages of one edition (page 2 is None when the list has one page); a revision alters one score."""
    first = (FIXTURES / f"palmares-general-{year}.html").read_bytes()
    second = FIXTURES / f"palmares-general-{year}-page2.html"
    pages: dict[str, bytes | None] = {LIST_PATH: first, PAGE2: second.read_bytes() if second.exists() else None}
    if revision:
        target = PAGE2 if pages[PAGE2] is not None and revision % 2 == 0 else LIST_PATH
        pages[target] = revise(pages[target] or b"", revision)
    return {**pages, **school_pages(year)}


def revise(content: bytes, revision: int) -> bytes:
    """The same page with the first criterion score of the first school changed (a published correction)."""
    marker = b'<td class="c-pmd-table__crit">'
    start = content.index(marker) + len(marker)
    end = content.index(b"</td>", start)
    return content[:start] + f"{100 + revision},5".encode() + content[end:]


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pages: dict[str, bytes] = {"/robots.txt": ROBOTS}
        self.requests = 0
        self.body_bytes = 0
        self.statuses: dict[str, int] = {}
        self.mails = 0

    def count(self, status: int, size: int) -> None:
        with self.lock:
            self.requests += 1
            self.body_bytes += size
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


STATE = _State()


class _Handler(BaseHTTPRequestHandler):
    def _control(self) -> bool:
        parts = urlsplit(self.path)
        if not parts.path.startswith("/_bench/"):
            return False
        path = parse_qs(parts.query).get("path", [""])[0]
        if parts.path == "/_bench/page" and self.command == "PUT":
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with STATE.lock:
                STATE.pages[path] = body
        elif parts.path == "/_bench/page" and self.command == "DELETE":
            with STATE.lock:
                STATE.pages.pop(path, None)
        elif parts.path == "/_bench/reset":
            with STATE.lock:
                STATE.requests = STATE.body_bytes = 0
                STATE.statuses = {}
        stats = {"requests": STATE.requests, "body_bytes": STATE.body_bytes, "statuses": STATE.statuses}
        payload = json.dumps({**stats, "mails": STATE.mails}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        return True

    def do_PUT(self) -> None:
        self._control()

    def do_DELETE(self) -> None:
        self._control()

    def do_POST(self) -> None:
        self._control()

    def do_GET(self) -> None:
        if self._control():
            return
        body = STATE.pages.get(self.path)
        if body is None:
            STATE.count(404, 0)
            self.send_error(404)
            return
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            STATE.count(304, 0)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        STATE.count(200, len(body))
        self.send_response(200)
        html = "text/html" if b"windows-1252" in body[:600] else "text/html; charset=utf-8"
        self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else html)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept every message (EHLO, MAIL, RCPT, DATA, QUIT)."""

    def handle(self) -> None:
        self.wfile.write(b"220 bench ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-bench\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while (data := self.rfile.readline()) and data not in (b".\r\n", b".\n"):
                    pass
                with STATE.lock:
                    STATE.mails += 1
                self.wfile.write(b"250 accepted\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


def serve() -> None:
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    smtp.daemon_threads = True
    for server in (http, smtp):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(http.server_address[1], smtp.server_address[1], flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or exits)


class Site:
    """The site process, seen from the benchmark: upload pages, read and reset the request counters."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        http_port, smtp_port = self.process.stdout.readline().split()
        self.base, self.smtp_port = f"http://127.0.0.1:{http_port}", int(smtp_port)
        self.list_url = self.base + LIST_PATH

    def _call(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def put(self, path: str, body: bytes | None) -> None:
        where = f"/_bench/page?path={quote(path, safe='')}"
        self._call("DELETE", where) if body is None else self._call("PUT", where, body)

    def serve(self, year: int, revision: int = 0) -> None:
        for path, body in edition_pages(year, revision).items():
            self.put(path, body)

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_bench/stats")

    def reset(self) -> None:
        self._call("POST", "/_bench/reset")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    serve()
