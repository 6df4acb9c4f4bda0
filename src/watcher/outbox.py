"""The outbox, delivered: each pending alert handed to the mail server, and marked sent or failed in the store.

Wiring between two edges (the database and SMTP), so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from watcher.errors import MailError, ServerUnreachable, StoreError
from watcher.mail import Accepted, Mailer
from watcher.store.db import Store
from watcher.store.outbox import OutboxItem


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one pass over the outbox did."""

    sent: tuple[str, ...]  # accepted for every recipient
    failed: tuple[tuple[str, str], ...]  # (Message-ID, reason): not accepted, or refused for some recipients
    left_pending: int


def retry_delay(attempts: int, first_seconds: float = 60.0) -> timedelta:
    """Pause before the next try of an alert that failed `attempts` times: doubling from the first, at most 1 h."""
    return timedelta(seconds=min(3600.0, first_seconds * 2 ** max(0, attempts - 1)))


def deliver_pending(
    store: Store,
    mailer: Mailer,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    due_only: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    retry_seconds: float = 60.0,
) -> Delivery:
    """Send pending alerts, oldest first; stop at the first sign the server is unreachable.

    With `due_only`, alerts that failed recently wait out their backoff (the daemon's retries);
    otherwise every pending alert is tried (an explicit `watcher check`).
    """
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    unrecorded: list[Callable[[], None]] = []  # acceptances the database could not take at once

    def record(item: OutboxItem, result: Accepted) -> None:
        if result.refused:
            reason = result.refusals()
            retry_at = now() + retry_delay(item.attempts + 1, retry_seconds)
            store.mark_partly_sent(item.message_id, [r.address for r in result.refused], reason, retry_at)
            failed.append((item.message_id, reason))
        else:
            store.mark_sent(item.message_id, now())
            sent.append(item.message_id)

    pending = store.pending(due_at=now() if due_only else None)
    for item in pending:
        if should_stop() or unrecorded:
            break  # nothing more is sent while an acceptance waits to be written

        def accepted(result: Accepted, item: OutboxItem = item) -> None:
            # Recorded at the server's 250, before QUIT: a slow goodbye or a kill then must not cause a second copy.
            try:
                record(item, result)
            except StoreError:
                unrecorded.append(lambda: record(item, result))  # tried again once the session is over

        try:
            mailer.send(item.message, to=item.retry_to, on_accepted=accepted)
        except MailError as exc:
            store.mark_failed(item.message_id, str(exc), now() + retry_delay(item.attempts + 1, retry_seconds))
            failed.append((item.message_id, str(exc)))
            if isinstance(exc, ServerUnreachable):
                break
    for again in unrecorded:
        try:
            again()
        except StoreError as exc:
            raise StoreError(
                f"{exc} The mail server accepted an email the database could not mark as sent: no other email was "
                "sent; once the database is writable again, that one email may be sent a second time."
            ) from exc
    return Delivery(tuple(sent), tuple(failed), len(store.pending()))
