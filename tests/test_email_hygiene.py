"""Every email watcher writes passes the standard library's strict parser, with lines a mail server takes whole."""

from __future__ import annotations

import base64
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from watcher.demo import run_demo
from watcher.french.notice import render_notice
from watcher.news.ops import OpsNotice

from .conftest import SmtpServer
from .test_email_command import run
from .test_ops import T0

STRICT = policy.strict.clone(max_line_length=998)


def strictly(raw: bytes) -> EmailMessage:
    """The message as `policy.strict` reads it: any defect the parser notices raises."""
    message = BytesParser(policy=STRICT).parsebytes(raw)
    for part in message.walk():
        assert not part.defects, part.defects
    return message  # type: ignore[return-value]


def check_lines(raw: bytes) -> None:
    """No line over RFC 5322's 998 octets; base64 bodies in lines of at most 76 characters (RFC 2045)."""
    assert max(len(line) for line in raw.split(b"\r\n") if b"\n" not in line) <= 998
    message = strictly(raw)
    for part in message.walk():
        if part.get("Content-Transfer-Encoding", "").lower() == "base64":
            encoded = part.get_payload(decode=False)
            assert isinstance(encoded, str)
            lines = encoded.splitlines()
            assert max(len(line) for line in lines) <= 76, max(len(line) for line in lines)
            assert base64.b64decode("".join(lines)) == part.get_payload(decode=True)


@pytest.fixture(scope="module")
def demo_emails(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    output = tmp_path_factory.mktemp("demo")
    assert run_demo(output) == 0
    found = sorted(output.glob("*.eml"))
    assert found
    return [path.read_bytes() for path in found]


def test_the_alert_with_its_chart_passes_the_strict_parser(demo_emails: list[bytes]) -> None:
    for raw in demo_emails:
        check_lines(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    message = strictly(demo_emails[0])
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1  # the chart is there, and base64 (checked above)
    assert images[0]["Content-Transfer-Encoding"] == "base64"
    assert message["Message-ID"]


def test_an_ops_notice_passes_the_strict_parser() -> None:
    notice = OpsNotice("failing", "Classement des écoles d'ingénieurs", T0, 3, "no ranking table", T0)
    message = render_notice(notice, sender="watcher@example.org", recipients=("ops@example.org",))
    check_lines(bytes(message).replace(b"\n", b"\r\n"))
    assert message["Message-ID"]


def test_the_test_email_carries_a_message_id_and_passes_the_strict_parser(smtp: SmtpServer, write_config) -> None:
    assert run(write_config(smtp.port), "test-email") == 0
    [raw] = smtp.inbox.raw
    check_lines(raw)
    message = strictly(raw)
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.org>")
