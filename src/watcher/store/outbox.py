"""The outbox table: every email (comms or ops) from the check that queued it until the server accepted it.

A mixin of `Store`: the same connection and transactions, its own file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage

from watcher.model import EMAIL_POLICY, MailKind
from watcher.store.records import insert, iso, select


@dataclass(frozen=True, slots=True)
class OutboxItem:
    message_id: str
    ranking: str
    kind: MailKind
    created_at: datetime
    attempts: int
    last_error: str | None
    message: EmailMessage
    retry_to: tuple[str, ...] | None = None  # the recipients the server refused last time; None: every recipient
    delivered_to: tuple[str, ...] = ()  # the recipients the server has accepted it for already


class OutboxTable:
    """Queue, list and mark the emails of the outbox."""

    conn: sqlite3.Connection
    _writing: Callable[[str], AbstractContextManager[None]]  # the store's one-transaction writer
    _reading: Callable[[str], AbstractContextManager[None]]  # and reader: a database error is a StoreError

    def pending(self, due_at: datetime | None = None) -> list[OutboxItem]:
        """Alerts not yet accepted by the SMTP server, oldest first; with `due_at`, only those due by then."""
        where, params = "where status = 'pending'", []
        if due_at is not None:
            where += " and (next_attempt_at is null or next_attempt_at <= ?)"
            params.append(due_at.isoformat())
        with self._reading("the outbox"):
            rows = select(self.conn, f"select * from outbox {where} order by created_at, message_id", params)
        return [
            OutboxItem(
                message_id=r["message_id"],
                ranking=r["ranking"],
                kind=r["kind"],
                created_at=datetime.fromisoformat(r["created_at"]),
                attempts=r["attempts"],
                last_error=r["last_error"],
                message=message_from_bytes(r["message"], policy=EMAIL_POLICY),
                retry_to=tuple(json.loads(r["retry_to"])) if r["retry_to"] is not None else None,
                delivered_to=tuple(json.loads(r["delivered_to"] or "[]")),
            )
            for r in rows
        ]

    def _enqueue(self, ranking: str, kind: MailKind, message: EmailMessage, status: str = "pending") -> None:
        insert(
            self.conn,
            "outbox",
            {
                "message_id": message["Message-ID"],
                "ranking": ranking,
                "kind": kind,
                "created_at": datetime.now(UTC).isoformat(),
                "subject": message["Subject"],
                "recipients": message["To"],
                "message": bytes(message),
                "status": status,
                "attempts": 0,
            },
            ignore=True,  # the same alert (same Message-ID) is queued once
        )

    def gather(self, ranking: str, held: Sequence[str], message: EmailMessage) -> None:
        """Replace the held alerts of one publication by the one email that tells them all, in one transaction."""
        with self._writing("the alerts of a publication, gathered"):
            for message_id in held:
                self.conn.execute(
                    "update outbox set status = 'gathered', gathered_into = ? where message_id = ? and status = 'held'",
                    [message["Message-ID"], message_id],
                )
            self._enqueue(ranking, "comms", message)

    def release_held(self) -> int:
        """Alerts held for gathering by a run that ended before it gathered them: sent as they are (none is lost)."""
        with self._reading("the alerts held by an unfinished run"):  # nearly always none: no write, no lock
            if self.conn.execute("select 1 from outbox where status = 'held' limit 1").fetchone() is None:
                return 0
        with self._writing("the alerts held by an unfinished run"):
            return self.conn.execute("update outbox set status = 'pending' where status = 'held'").rowcount

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """The server accepted the email for every recipient still to deliver to: it leaves the outbox for good."""
        with self._writing("a sent alert"):
            self.conn.execute(
                "update outbox set status = 'sent', sent_at = ?, attempts = attempts + 1, retry_to = null "
                "where message_id = ?",
                [at.isoformat(), message_id],
            )

    def readdress(self, message_id: str, message: EmailMessage, retry_to: Sequence[str] | None) -> None:
        """A pending email now addressed as `message` says (the config's addresses changed since it was queued),
        still to deliver to `retry_to` (None: every recipient)."""
        with self._writing("an alert addressed anew"):
            self.conn.execute(
                "update outbox set message = ?, recipients = ?, retry_to = ? "
                "where message_id = ? and status = 'pending'",
                [bytes(message), message["To"], None if retry_to is None else json.dumps(list(retry_to)), message_id],
            )

    def mark_partly_sent(
        self, message_id: str, accepted: Sequence[str], refused: Sequence[str], error: str, retry_at: datetime
    ) -> None:
        """The server accepted the email for some recipients only (`accepted`, added to those it had before): it
        stays pending for the `refused` ones alone."""
        with self._writing("a partly sent alert"):
            found = self.conn.execute("select delivered_to from outbox where message_id = ?", [message_id]).fetchone()
            before = json.loads(found[0]) if found and found[0] else []
            self.conn.execute(
                "update outbox set attempts = attempts + 1, last_error = ?, next_attempt_at = ?, retry_to = ?, "
                "delivered_to = ? where message_id = ?",
                [error, iso(retry_at), json.dumps(list(refused)), json.dumps([*before, *accepted]), message_id],
            )

    def mark_failed(self, message_id: str, error: str, retry_at: datetime | None = None) -> None:
        with self._writing("a failed delivery"):
            self.conn.execute(
                "update outbox set attempts = attempts + 1, last_error = ?, next_attempt_at = ? where message_id = ?",
                [error, iso(retry_at), message_id],
            )
