"""Delivering the outbox over real SMTP: one message refused for good does not block the others."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from watcher.config import EmailConfig
from watcher.mail import SmtpMailer
from watcher.model import EMAIL_POLICY
from watcher.outbox import deliver_pending
from watcher.store.db import Store

from .conftest import Inbox, free_port


class Picky(Inbox):
    """Rejects, for good (554), any message whose subject contains "refuse"."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if b"refuse" in envelope.content:
            return "554 5.7.1 Message rejected"
        return await super().handle_DATA(server, session, envelope)


def message(subject: str, n: int) -> EmailMessage:
    m = EmailMessage(policy=EMAIL_POLICY)
    m["Subject"], m["From"], m["To"] = subject, "watcher@example.org", "communication@example.org"
    m["Message-ID"] = f"<{n}@example.org>"
    m.set_content("body")
    return m


def test_a_message_rejected_for_good_does_not_block_the_next(tmp_path: Path) -> None:
    inbox, port = Picky(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        store = Store.open(tmp_path / "watcher.db")
        store.record_check("r", [], alerts=[message("please refuse me", 1), message("deliver me", 2)])
        config = EmailConfig.model_validate(
            {
                "to": ["communication@example.org"],
                "from": "watcher@example.org",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
            }
        )
        delivery = deliver_pending(store, SmtpMailer(config), lambda: datetime.now(UTC))
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["deliver me"]
    assert delivery.sent == ("<2@example.org>",)
    assert [(mid, "554" in reason) for mid, reason in delivery.failed] == [("<1@example.org>", True)]
    assert [p.message_id for p in store.pending()] == ["<1@example.org>"]  # kept, and reported by status
