"""`watcher test-email` against real local SMTP servers, and operator notices sent end to end by `watcher check`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from watcher.cli import main

from .conftest import LIST_PATH, RANKING, Inbox, Site, SmtpServer, fixture, free_port
from .test_mail import Unknowns

TO = "communication@example.org"
OPS = "ops@example.org"


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def allowing_plain_auth(config: Path) -> Path:
    """The same config with `email.allow_plain_auth = true` (a login over a connection without TLS)."""
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("\n[fetch]", "\nallow_plain_auth = true\n[fetch]", 1), encoding="utf-8")
    return config


@pytest.fixture
def envelope_recipients(smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every RCPT TO the `smtp` server accepts (the envelope, which the To header does not show)."""
    seen: list[str] = []
    original = smtp.inbox.handle_RCPT

    async def recording(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        seen.append(address)
        return await original(server, session, envelope, address, options)

    monkeypatch.setattr(smtp.inbox, "handle_RCPT", recording)
    return seen


# test-email


def test_sends_one_test_message_to_comms_and_ops(
    smtp: SmtpServer, write_config, envelope_recipients: list[str], capsys
) -> None:
    config = write_config(smtp.port, ops_to=OPS)
    assert run(config, "test-email") == 0
    [message] = smtp.inbox.messages
    assert message["Subject"] == "[watcher] Test message"
    assert message["From"] == "watcher@example.org"
    assert message["To"] == f"{TO}, {OPS}"
    assert envelope_recipients == [TO, OPS]
    assert "This is a test message from watcher." in message.get_content()
    out = capsys.readouterr()
    assert out.out.strip() == (
        f"Test email accepted by 127.0.0.1:{smtp.port} (no encryption) for {TO}, {OPS}. "
        "If it does not arrive, check the spam folder."
    )
    assert out.err == ""


@pytest.mark.parametrize("ops_to", ["", TO])
def test_comms_address_is_sent_once_when_it_is_also_ops(
    smtp: SmtpServer, write_config, envelope_recipients: list[str], ops_to: str
) -> None:
    config = write_config(smtp.port, ops_to=ops_to)
    assert run(config, "test-email") == 0
    [message] = smtp.inbox.messages
    assert message["To"] == TO
    assert envelope_recipients == [TO]


def test_nothing_listening_is_explained_with_host_and_port(write_config, capsys) -> None:
    port = free_port()
    config = write_config(port)
    assert run(config, "test-email") == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith(f"mail not sent: Cannot reach the mail server 127.0.0.1:{port}: ")
    assert "Check email.smtp_host and email.smtp_port, and that the server is running." in out.err
    assert "Traceback" not in out.err


def test_starttls_asked_of_a_server_without_it(smtp: SmtpServer, write_config, capsys) -> None:
    config = write_config(smtp.port, starttls=True)
    assert run(config, "test-email") == 1
    err = capsys.readouterr().err
    assert f"the mail server 127.0.0.1:{smtp.port} does not offer STARTTLS" in err
    assert "email.starttls = false" in err
    assert smtp.inbox.messages == []


def test_starttls_delivery(tls_smtp: SmtpServer, write_config, capsys) -> None:
    config = write_config(tls_smtp.port, starttls=True, ops_to=OPS)
    assert run(config, "test-email") == 0
    [message] = tls_smtp.inbox.messages
    assert message["Subject"] == "[watcher] Test message"
    assert message["To"] == f"{TO}, {OPS}"
    assert tls_smtp.inbox.tls_used == [True]
    assert f"accepted by 127.0.0.1:{tls_smtp.port} (STARTTLS)" in capsys.readouterr().out


class Credentials:
    """An aiosmtpd authenticator that accepts one login and remembers every attempt."""

    def __init__(self, login: bytes, password: bytes) -> None:
        self.good = LoginPassword(login, password)
        self.tried: list[tuple[str, bytes]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.tried.append((mechanism, auth_data.login))
        return AuthResult(success=auth_data == self.good, handled=False)


@pytest.fixture
def auth_smtp() -> Iterator[tuple[SmtpServer, Credentials]]:
    """A plain SMTP server that offers AUTH and knows only alice / s3cret."""
    inbox, port = Inbox(), free_port()
    credentials = Credentials(b"alice", b"s3cret")
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=credentials, auth_require_tls=False)
    controller.start()
    yield SmtpServer(port, inbox, controller.start, controller.stop), credentials
    controller.stop()


def test_login_refused_points_to_the_credential_variables(
    auth_smtp: tuple[SmtpServer, Credentials], write_config, monkeypatch, capsys
) -> None:
    server, credentials = auth_smtp
    monkeypatch.setenv("WATCHER_SMTP_USERNAME", "alice")
    monkeypatch.setenv("WATCHER_SMTP_PASSWORD", "wrong")
    config = allowing_plain_auth(write_config(server.port))
    assert run(config, "test-email") == 1
    err = capsys.readouterr().err
    assert f"the mail server 127.0.0.1:{server.port} refused the login (535 5.7.8 Authentication" in err
    assert "WATCHER_SMTP_USERNAME" in err and "WATCHER_SMTP_PASSWORD" in err
    assert "wrong" not in err  # the password is never printed
    assert credentials.tried and all(login == b"alice" for _, login in credentials.tried)
    assert server.inbox.messages == []


def test_login_accepted_with_the_right_credentials(
    auth_smtp: tuple[SmtpServer, Credentials], write_config, monkeypatch
) -> None:
    server, credentials = auth_smtp
    monkeypatch.setenv("WATCHER_SMTP_USERNAME", "alice")
    monkeypatch.setenv("WATCHER_SMTP_PASSWORD", "s3cret")
    assert run(allowing_plain_auth(write_config(server.port)), "test-email") == 0
    assert [m["Subject"] for m in server.inbox.messages] == ["[watcher] Test message"]
    assert [login for _, login in credentials.tried] == [b"alice"]


def test_credentials_for_a_server_without_auth_are_not_blamed_on_starttls(
    smtp: SmtpServer, write_config, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("WATCHER_SMTP_USERNAME", "alice")
    monkeypatch.setenv("WATCHER_SMTP_PASSWORD", "s3cret")
    config = write_config(smtp.port, starttls=False)
    code = run(config, "test-email")
    err = capsys.readouterr().err
    assert code == 1
    assert "offers no login" in err and "WATCHER_SMTP_USERNAME" in err
    assert "does not offer STARTTLS" not in err


def test_no_login_in_clear_unless_the_config_allows_it(
    auth_smtp: tuple[SmtpServer, Credentials], write_config, monkeypatch, capsys
) -> None:
    server, credentials = auth_smtp
    monkeypatch.setenv("WATCHER_SMTP_USERNAME", "alice")
    monkeypatch.setenv("WATCHER_SMTP_PASSWORD", "s3cret")
    assert run(write_config(server.port), "test-email") == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"mail not sent: the mail server 127.0.0.1:{server.port} offers no encryption (no STARTTLS), so watcher "
        "did not send the login: the password would cross the network in clear."
    )
    assert "email.allow_plain_auth = true" in err
    assert credentials.tried == []  # no AUTH command went out at all
    assert server.inbox.messages == []


@pytest.fixture
def unknowns() -> Iterator[tuple[Unknowns, int]]:
    """A server that refuses the mailbox gone@example.org (550 5.1.1 User unknown)."""
    inbox, port = Unknowns("gone@example.org"), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_a_refused_recipient_fails_the_test_email(unknowns: tuple[Unknowns, int], write_config, capsys) -> None:
    inbox, port = unknowns
    assert run(write_config(port, ops_to="gone@example.org"), "test-email") == 1
    out = capsys.readouterr()
    assert out.err == (
        f"mail not sent: the mail server 127.0.0.1:{port} refused gone@example.org (550 5.1.1 User unknown) "
        f"(it took the message for {TO}). Check the address in email.to or email.ops_to.\n"
    )
    assert f"accepted by 127.0.0.1:{port} (no encryption) for {TO}." in out.out
    assert inbox.envelopes == [[TO]]


def test_every_recipient_refused_fails_the_test_email(unknowns: tuple[Unknowns, int], write_config, capsys) -> None:
    inbox, port = unknowns
    inbox.unknown.add(TO)
    assert run(write_config(port, ops_to="gone@example.org"), "test-email") == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"mail not sent: the mail server 127.0.0.1:{port} refused every recipient: {TO} (550 5.1.1 User unknown), "
        "gone@example.org (550 5.1.1 User unknown). Check these addresses in email.to and ops_to.\n"
    )
    assert inbox.messages == []


# Operator notices, end to end


def outbox(config: Path) -> list[dict[str, Any]]:
    return list(sqlite_utils.Database(config.parent / "watcher.db")["outbox"].rows_where(order_by="created_at"))


def test_failing_ranking_emails_ops_once_then_once_on_recovery(
    site: Site, smtp: SmtpServer, write_config, capsys
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra="[alerts]\nfailures_before_alert = 2\n", ops_to=OPS)
    assert run(config, "check") == 0  # baseline
    assert smtp.inbox.messages == []

    site.pages[LIST_PATH] = fixture("refused/layout-changed.html")
    assert run(config, "check") == 1
    assert smtp.inbox.messages == []  # one failure: below the threshold
    assert run(config, "check") == 1
    [failing] = smtp.inbox.messages
    assert failing["To"] == OPS
    assert failing["X-Watcher-Kind"] == "ops"
    assert "2 failed checks in a row" in failing["Subject"]
    body = failing.get_content()
    assert f"“{RANKING}”" in body
    assert "no known layout fits this page" in body

    assert run(config, "check") == 1  # still failing: nothing more
    assert len(smtp.inbox.messages) == 1

    site.edition(2020)
    capsys.readouterr()
    assert run(config, "check") == 0
    assert "not-modified" in capsys.readouterr().out
    assert len(smtp.inbox.messages) == 2
    recovered = smtp.inbox.messages[1]
    assert recovered["To"] == OPS
    assert recovered["X-Watcher-Kind"] == "ops"
    assert recovered["Subject"].endswith(": recovered")
    assert "after 3 failed checks" in recovered.get_content()
    assert recovered["Message-ID"] != failing["Message-ID"]

    assert run(config, "check") == 0  # healthy again: quiet
    assert len(smtp.inbox.messages) == 2
    assert all(m["To"] == OPS for m in smtp.inbox.messages)  # no comms email in all of it
    rows = outbox(config)
    assert [(r["kind"], r["status"], r["recipients"]) for r in rows] == [("ops", "sent", OPS), ("ops", "sent", OPS)]
    assert [r["message_id"] for r in rows] == [failing["Message-ID"], recovered["Message-ID"]]


def test_ops_subject_names_the_ranking_as_received(site: Site, smtp: SmtpServer, write_config) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra="[alerts]\nfailures_before_alert = 1\n", ops_to=OPS)
    assert run(config, "check") == 0
    site.pages[LIST_PATH] = fixture("refused/layout-changed.html")
    assert run(config, "check") == 1
    [failing] = smtp.inbox.messages
    assert failing["Subject"] == f"[watcher] {RANKING}: 1 failed check"
