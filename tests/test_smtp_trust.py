"""SMTP that can be trusted: a whole session within `email.timeout_seconds`, and no password in clear.

The servers here are real (sockets on 127.0.0.1): one that answers a line every 0.2 s for ever (so that a
timeout per read never fires), aiosmtpd offering STARTTLS and AUTH, and a relay that keeps every byte the
client sent, to show what crossed the network.
"""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from watcher.config import EmailConfig
from watcher.errors import ServerUnreachable
from watcher.mail import SmtpMailer, _Watchdog
from watcher.model import EMAIL_POLICY
from watcher.outbox import deliver_pending
from watcher.store.db import Store
from watcher.tables import build

from .conftest import Inbox, free_port

LOGIN, SECRET = "alice", "s3cret"


def email_config(port: int, **settings: object) -> EmailConfig:
    return build(
        EmailConfig,
        {"to": ["communication@example.org"], "from": "watcher@example.org", "smtp_host": "127.0.0.1"}
        | {"smtp_port": port, "timeout_seconds": 1, **settings},
    )


def message(n: int) -> EmailMessage:
    m = EmailMessage(policy=EMAIL_POLICY)
    m["Subject"], m["From"], m["To"] = f"alert {n}", "watcher@example.org", "communication@example.org"
    m["Message-ID"] = f"<{n}@example.org>"
    m.set_content("body")
    return m


# The deadline


class Trickler(socketserver.ThreadingTCPServer):
    """An SMTP server that, at one `stage`, sends a line (or a TLS byte) every 0.2 s instead of answering.

    It goes on for 20 s at most, then hangs up; `outcome` says whether the client hung up first.
    """

    daemon_threads = True

    def __init__(self, stage: str) -> None:
        super().__init__(("127.0.0.1", 0), _Dialogue)
        self.stage = stage
        self.outcome = ""
        self.done = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Dialogue(socketserver.StreamRequestHandler):
    server: Trickler

    def handle(self) -> None:
        try:
            self.server.outcome = self._dialogue()
        finally:
            self.server.done.set()

    def _say(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def _trickle(self, piece: bytes, first: bytes = b"") -> str:
        try:
            self.wfile.write(first)
            for _ in range(100):
                self.wfile.write(piece)
                if select.select([self.connection], [], [], 0.2)[0] and not self.connection.recv(4096):
                    return "client hung up"
        except OSError:
            return "client hung up"
        return "outlasted"

    def _dialogue(self) -> str:
        stage = self.server.stage
        if stage == "greeting":
            return self._trickle(b"220-still starting\r\n")
        self._say(b"220 ready")
        for line in self.rfile:
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO" and stage == "ehlo":
                return self._trickle(b"250-still thinking\r\n")
            if verb == b"EHLO":
                self._say(b"250-localhost\r\n250 STARTTLS" if stage == "starttls" else b"250 localhost")
            elif verb == b"STARTTLS":
                self._say(b"220 go ahead")
                # A TLS record announced 16 kB long, whose bytes then come one by one.
                return self._trickle(b"\x00", first=b"\x16\x03\x03\x40\x00")
            elif verb == b"DATA":
                self._say(b"354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                return self._trickle(b"250-still writing\r\n")
            else:
                self._say(b"250 OK")
        return "client left"


@pytest.fixture
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("trickler", "step"),
    [
        ("greeting", "the connection and the server's greeting"),
        ("ehlo", "EHLO"),
        ("starttls", "STARTTLS"),
        ("data", "sending the message"),
    ],
    indirect=["trickler"],
)
def test_a_server_answering_line_by_line_cannot_hold_the_session_past_the_timeout(
    trickler: Trickler, step: str
) -> None:
    mailer = SmtpMailer(email_config(trickler.port))
    with pytest.raises(ServerUnreachable) as raised:
        mailer.send(message(1))
    assert str(raised.value) == (
        f"the mail server 127.0.0.1:{trickler.port} did not finish the SMTP exchange within 1 s "
        f"(email.timeout_seconds); it was still at: {step}. Check that email.smtp_host and email.smtp_port name "
        "a working mail server, or raise email.timeout_seconds if it is only slow."
    )
    assert trickler.done.wait(60)
    assert trickler.outcome == "client hung up"  # watcher gave up; the server had not


@pytest.mark.parametrize("trickler", ["greeting"], indirect=True)
def test_a_server_too_slow_leaves_the_alerts_pending_and_ends_the_pass(tmp_path: Path, trickler: Trickler) -> None:
    store = Store.open(tmp_path / "watcher.db")
    store.record_check("r", [], alerts=[message(1), message(2)])
    delivery = deliver_pending(store, SmtpMailer(email_config(trickler.port)), lambda: datetime.now(UTC))
    assert delivery.sent == ()
    assert [(mid, "within 1 s" in reason) for mid, reason in delivery.failed] == [("<1@example.org>", True)]
    assert [item.message_id for item in store.pending()] == ["<1@example.org>", "<2@example.org>"]


# No password in clear


class Credentials:
    """An aiosmtpd authenticator that accepts alice / s3cret and notes each attempt and whether TLS was on."""

    def __init__(self) -> None:
        self.tried: list[tuple[bytes, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.tried.append((auth_data.login, session.ssl is not None))
        return AuthResult(success=auth_data == LoginPassword(LOGIN.encode(), SECRET.encode()), handled=False)


class Tap(socketserver.ThreadingTCPServer):
    """A relay to a server on `upstream` that keeps every byte the client sent: what crossed the network."""

    daemon_threads = True

    def __init__(self, upstream: int) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.upstream = upstream
        self.sent = bytearray()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Relay(socketserver.BaseRequestHandler):
    server: Tap

    def handle(self) -> None:
        with socket.create_connection(("127.0.0.1", self.server.upstream)) as upstream:
            ends = {self.request: upstream, upstream: self.request}
            while True:
                ready, _, _ = select.select(list(ends), [], [], 30)
                if not ready:
                    return
                for end in ready:
                    try:
                        data = end.recv(65536)
                    except ConnectionResetError:  # a side that hung up hard (the client refusing a clear login)
                        return
                    if not data:
                        return
                    if end is self.request:
                        self.server.sent += data
                    ends[end].sendall(data)


def secret_forms() -> list[bytes]:
    """The password as it crosses in clear: AUTH PLAIN, AUTH LOGIN, or raw."""
    plain = f"\0{LOGIN}\0{SECRET}".encode()
    return [base64.b64encode(plain), base64.b64encode(SECRET.encode()), SECRET.encode()]


@pytest.fixture
def auth_server(
    request: pytest.FixtureRequest, test_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Inbox, Credentials, Tap]]:
    """aiosmtpd offering AUTH before any TLS (like a careless server), and STARTTLS when the param says so;
    reached through a `Tap`."""
    options: dict[str, Any] = {}
    if request.param == "starttls offered":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        test_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        options["tls_context"] = context
        ca_file = tmp_path / "test-ca.pem"
        test_ca.cert_pem.write_to_path(str(ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    inbox, credentials, port = Inbox(), Credentials(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=credentials, auth_require_tls=False, **options
    )
    controller.start()
    tap = Tap(port)
    thread = threading.Thread(target=tap.serve_forever, daemon=True)
    thread.start()
    yield inbox, credentials, tap
    tap.shutdown()
    tap.server_close()
    controller.stop()


@pytest.mark.parametrize("auth_server", ["starttls offered"], indirect=True)
def test_starttls_is_used_whenever_offered_and_the_password_crosses_encrypted(
    auth_server: tuple[Inbox, Credentials, Tap],
) -> None:
    inbox, credentials, tap = auth_server
    # Neither STARTTLS asked for nor a plain login forbidden: the offer alone must be taken.
    config = email_config(tap.port, allow_plain_auth=True, timeout_seconds=5)
    accepted = SmtpMailer(config, LOGIN, SECRET).send(message(1))
    assert accepted.encryption == "STARTTLS"
    assert [m["Subject"] for m in inbox.messages] == ["alert 1"]
    assert inbox.tls_used == [True]
    assert credentials.tried == [(LOGIN.encode(), True)]
    assert b"\r\nSTARTTLS\r\n" in tap.sent  # the tap saw the session, and no password in it
    assert not [form for form in secret_forms() if form in tap.sent]


@pytest.mark.parametrize("auth_server", ["no tls"], indirect=True)
def test_no_login_is_sent_over_a_connection_without_tls(auth_server: tuple[Inbox, Credentials, Tap]) -> None:
    inbox, credentials, tap = auth_server
    mailer = SmtpMailer(email_config(tap.port, timeout_seconds=5), LOGIN, SECRET)
    with pytest.raises(ServerUnreachable) as raised:
        mailer.send(message(1))
    assert str(raised.value) == (
        f"the mail server 127.0.0.1:{tap.port} offers no encryption (no STARTTLS), so watcher did not send the "
        "login: the password would cross the network in clear. Use the server's TLS port (587 with STARTTLS, 465 "
        "for SMTPS); only for a relay on this machine or a network you trust, set email.allow_plain_auth = true."
    )
    assert credentials.tried == []
    assert inbox.messages == []
    assert b"ehlo" in tap.sent
    assert not [form for form in secret_forms() if form in tap.sent]


@pytest.mark.parametrize("auth_server", ["no tls"], indirect=True)
def test_a_plain_login_goes_only_when_the_config_allows_it(auth_server: tuple[Inbox, Credentials, Tap]) -> None:
    inbox, credentials, tap = auth_server
    mailer = SmtpMailer(email_config(tap.port, allow_plain_auth=True, timeout_seconds=5), LOGIN, SECRET)
    assert mailer.send(message(1)).encryption == "none"
    assert credentials.tried == [(LOGIN.encode(), False)]
    assert [m["Subject"] for m in inbox.messages] == ["alert 1"]


@pytest.mark.parametrize("trickler", ["greeting"], indirect=True)
def test_a_connection_opened_past_the_deadline_is_cut_at_once(trickler: Trickler) -> None:
    watchdog = _Watchdog(0.01)
    watchdog._timer.join()  # the deadline has passed, with nothing to cut yet
    try:
        with (
            watchdog.connect("127.0.0.1", trickler.port) as sock,
            pytest.raises((BrokenPipeError, ConnectionResetError)),
        ):
            sock.sendall(b"EHLO watcher\r\n")  # shut down: nothing more can be said on it
    finally:
        watchdog.stop()
