"""The outbox in the database: an alert written again is kept as it was, never replaced."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from watcher.store import Store


def alert(subject: str = "IMT Mines Alès : 15e") -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = "<same-alert@example.org>"
    message["Subject"] = subject
    message["To"] = "communication@example.org"
    message.set_content("texte")
    return message


def test_the_same_alert_written_again_keeps_the_pending_one_as_it_was(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "w.db")
    try:
        store.record_check("C", [], alerts=[alert()])
        retry_at = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
        store.mark_failed("<same-alert@example.org>", "421 try later", retry_at)
        store.record_check("C", [], alerts=[alert("another rendering")])  # a later check queues it again
        (row,) = store.db["outbox"].rows
        assert (row["subject"], row["status"], row["attempts"], row["last_error"]) == (
            "IMT Mines Alès : 15e",
            "pending",
            1,
            "421 try later",
        )
        assert row["next_attempt_at"] == retry_at.isoformat()
    finally:
        store.close()
