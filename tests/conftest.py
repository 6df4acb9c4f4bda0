"""Real local parts for the tests: an L'Étudiant stand-in over HTTP and an SMTP server, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
import trustme
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from watcher.layouts import ListPage, assemble, parse_list_page
from watcher.model import EMAIL_POLICY, Snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIST_PATH = (
    "/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/palmares-general-des-ecoles-d-ingenieurs/home.html"
)
SCHOOL_PATH = "/palmares/palmares-des-ecoles-d-ingenieurs/"
RANKING = "Palmarès général des écoles d'ingénieurs"
CLASSEMENTS_PATH = "/classements/classement-des-ecoles-d-ingenieurs.html"
LIVE = b"https://www.letudiant.fr"
DIRECTORY_PATH = "/etudes/annuaire-enseignement-superieur/etablissement/"


def classements_files(year: int) -> list[Path]:
    """The nine saved pages of one edition of today's list, in order."""
    first = FIXTURES / "classements" / f"classement-{year}.html"
    return [first, *sorted(first.parent.glob(f"classement-{year}-page*.html"), key=lambda p: int(p.stem[20:]))]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_pages(year: int, url: str = "https://www.letudiant.fr" + LIST_PATH) -> list[ListPage]:
    """The pages of one fixture edition, page 2 (if any) read with the group page 1 ended on."""
    first = parse_list_page(fixture(f"palmares-general-{year}.html"), url)
    pages = [first]
    second = FIXTURES / f"palmares-general-{year}-page2.html"
    if second.exists():
        assert first.next_url is not None
        pages.append(parse_list_page(second.read_bytes(), first.next_url, group=first.last_group))
    return pages


def fixture_snapshot(
    year: int,
    *,
    url: str = "https://www.letudiant.fr" + LIST_PATH,
    ranking: str = RANKING,
    fetched_at: datetime | None = None,
) -> Snapshot:
    """One fixture edition as the parser reads it (fetched on 15 December of its year by default)."""
    when = fetched_at or datetime(year, 12, 15, 6, 2, tzinfo=UTC)
    return assemble(fixture_pages(year, url), ranking=ranking, fetched_at=when)


@dataclass
class Site:
    """What the fake site serves: bytes per path (with query), plus scripted failures."""

    pages: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)  # path -> queued answers
    etags: bool = True
    requests: list[Request] = field(default_factory=list)
    robots: bytes = b"User-agent: *\nAllow: /\n"
    delay: float = 0.0  # seconds the list page hangs before answering (cut short when set back to 0)
    versions: dict[str, list[bytes]] = field(default_factory=dict)  # path -> bodies served once each, before pages
    waiting: bool = False

    def edition(self, year: int) -> None:
        """Serve one edition of the general list (and its page 2 when it has one)."""
        self.pages[LIST_PATH] = fixture(f"palmares-general-{year}.html")
        page2 = FIXTURES / f"palmares-general-{year}-page2.html"
        if page2.exists():
            self.pages[LIST_PATH + "?page=2"] = page2.read_bytes()
        else:
            self.pages.pop(LIST_PATH + "?page=2", None)
        for slug in ("imt-mines-ales", "imt-mines-albi", "mines-saint-etienne"):
            page = FIXTURES / "school" / f"{slug}-{year}.html"
            if page.exists():
                self.pages[SCHOOL_PATH + f"{slug}.html"] = page.read_bytes()
            else:
                self.pages.pop(SCHOOL_PATH + f"{slug}.html", None)

    def classements(self, year: int, base: str) -> None:
        """Serve one edition of today's list (nine pages), its absolute links pointed at this server."""
        for key in [k for k in self.pages if k.startswith(CLASSEMENTS_PATH)]:
            del self.pages[key]
        for number, path in enumerate(classements_files(year), start=1):
            query = f"?page={number}" if number > 1 else ""
            self.pages[CLASSEMENTS_PATH + query] = path.read_bytes().replace(LIVE, base.rstrip("/").encode())
        # The schools' directory pages, at the addresses the list links to.
        listed = b"".join(v for k, v in self.pages.items() if k.startswith(CLASSEMENTS_PATH))
        for page in (FIXTURES / "directory").glob(f"*-{year}.html"):
            name = page.name.removesuffix(f"-{year}.html")
            found = re.search(rf"{DIRECTORY_PATH}etablissement-{name}-\d+\.html".encode(), listed)
            if found:
                self.pages[found.group().decode()] = page.read_bytes()

    def fail(self, path: str, status: int, times: int = 1, **headers: str) -> None:
        self.statuses.setdefault(path, []).extend([(status, headers)] * times)

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        path = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        if request.path == "/robots.txt":
            return Response(self.robots, content_type="text/plain")
        queued = self.statuses.get(path)
        if queued:
            status, headers = queued.pop(0)
            return Response(b"busy", status=status, headers=headers)
        started = time.monotonic()
        while request.path == LIST_PATH and time.monotonic() - started < self.delay:
            self.waiting = True
            time.sleep(0.05)
        self.waiting = False
        body = self.versions[path].pop(0) if self.versions.get(path) else self.pages.get(path)
        if body is None:
            return Response(b"not found", status=404)
        headers = {}
        if self.etags:
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers=headers)
        return Response(body, content_type="text/html", headers=headers)

    def list_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == LIST_PATH]


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    s = Site()
    httpserver.expect_request("").respond_with_handler(s.handle)
    return s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NNBSP = "\u202f"


def plain(message: EmailMessage) -> EmailMessage:
    """The message with French typography's narrow no-break spaces read as plain spaces, for tests about figures
    (test_email_hygiene and test_render check the typography itself, on the message as sent)."""
    # Under watcher's own policy: the default one, folding a long subject at 78, drops a space (CPython gh-144156).
    copy = cast(EmailMessage, message_from_bytes(message.as_bytes(policy=EMAIL_POLICY), policy=EMAIL_POLICY))
    for part in copy.walk():
        if part.get_content_maintype() == "text":
            text = part.get_content().replace(NNBSP, " ")
            part.set_content(text, subtype=part.get_content_subtype())
    subject = copy["Subject"]
    if subject is not None:
        del copy["Subject"]
        copy["Subject"] = str(subject).replace(NNBSP, " ")
    return copy


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each message as the server received it
        self.tls_used: list[bool] = []
        self.rcpt_delay = 0.0  # seconds the server hangs before accepting a recipient
        self.rcpt_waiting = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        started = time.monotonic()
        while time.monotonic() - started < self.rcpt_delay:
            self.rcpt_waiting = True
            await asyncio.sleep(0.05)
        self.rcpt_waiting = False
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content or envelope.content)
        received = cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default))
        self.messages.append(plain(received))
        self.tls_used.append(session.ssl is not None)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    start: Callable[[], None]
    stop: Callable[[], None]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 that tests can stop and start again on the same port."""
    inbox, port = Inbox(), free_port()
    holder: dict[str, Controller] = {}

    def start() -> None:
        holder["c"] = Controller(inbox, hostname="127.0.0.1", port=port)
        holder["c"].start()

    def stop() -> None:
        controller = holder.pop("c", None)
        if controller is not None:
            controller.stop()

    start()
    yield SmtpServer(port, inbox, start, stop)
    stop()


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_smtp(test_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS, with a certificate from a test CA the client trusts."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    ca_file = tmp_path / "test-ca.pem"
    test_ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # what the default SSL context trusts
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_ctx, require_starttls=True)
    controller.start()
    yield SmtpServer(port, inbox, controller.start, controller.stop)
    controller.stop()


@pytest.fixture
def write_config(tmp_path: Path, httpserver: HTTPServer) -> Callable[..., Path]:
    """Write a config.toml pointing at the local site and SMTP server; extra TOML is appended."""

    def write(
        smtp_port: int, extra: str = "", starttls: bool = False, school: str = "IMT Mines Alès", ops_to: str = ""
    ) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(
            f"""database = "watcher.db"
[school]
name = "{school}"
[[rankings]]
name = "{RANKING}"
url = "{httpserver.url_for(LIST_PATH)}#indicateurs=900716,900717,900718,900719&criterias"
[email]
to = ["communication@example.org"]
from = "watcher@example.org"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
starttls = {str(starttls).lower()}
timeout_seconds = 5
retry_seconds = 0.5
ops_to = [{f'"{ops_to}"' if ops_to else ""}]
[fetch]
delay_seconds = 0
backoff_seconds = 0.01
timeout_seconds = 5
{extra}
""",
            encoding="utf-8",
        )
        return path

    return write


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (as root); a clear failure when impossible."""
    found = shutil.which("chromium")
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.fail("chromium is not installed and the tests are not run as root: run `apt-get install -y chromium`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.fail(f"cannot install chromium: `{' '.join(command)}` failed: {exc}")
        if done.returncode != 0:
            pytest.fail(
                f"cannot install chromium: `{' '.join(command)}` exited {done.returncode}:\n{done.stderr[-2000:]}"
            )
    found = shutil.which("chromium")
    if not found:
        pytest.fail("apt-get installed chromium but no `chromium` command is on the PATH")
    return found
