"""The outbox, delivered: each pending alert handed to the mail server, and marked sent or failed in the store.

Wiring between two edges (the database and SMTP), so that neither imports the other.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses

from watcher.errors import MailError, ServerUnreachable, StoreError
from watcher.mail import Accepted, Mailer, recipients
from watcher.store.db import Store
from watcher.store.outbox import OutboxItem

log = logging.getLogger("watcher.outbox")


@dataclass(frozen=True, slots=True)
class Addressees:
    """Who the config says each kind of email goes to now: `email.to` (comms) and the operators (ops)."""

    comms: tuple[str, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one pass over the outbox did."""

    sent: tuple[str, ...]  # accepted for every recipient
    failed: tuple[tuple[str, str], ...]  # (Message-ID, reason): not accepted, or refused for some recipients
    left_pending: int


def retry_delay(attempts: int, first_seconds: float = 60.0) -> timedelta:
    """Pause before the next try of an alert that failed `attempts` times: doubling from the first, at most 1 h."""
    return timedelta(seconds=min(3600.0, first_seconds * 2 ** max(0, attempts - 1)))


def readdressed(item: OutboxItem, now: tuple[str, ...]) -> OutboxItem | None:
    """`item` addressed to `now` when the config's addresses changed since it was queued (a mistyped address
    corrected, one removed): nobody the server accepted it for already gets it again; None when everyone `now`
    names has it. The item itself when nothing changed (or `now` names nobody)."""
    wanted = tuple(dict.fromkeys(address for _, address in getaddresses([", ".join(now)]) if address))
    if not wanted:
        return item
    reached = _folded(item.delivered_to)
    missing = tuple(address for address in wanted if address.lower() not in reached)
    if not missing:
        return None
    queued = recipients(item.message)
    target = item.retry_to if item.retry_to is not None else queued
    if _folded(queued) == _folded(wanted) and _folded(target) == _folded(missing):
        return item
    message = copy.deepcopy(item.message)
    message.replace_header("To", ", ".join(wanted))
    return replace(item, message=message, retry_to=missing if reached else None)


def _folded(addresses: tuple[str, ...]) -> set[str]:
    return {address.lower() for address in addresses}


def deliver_pending(
    store: Store,
    mailer: Mailer,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    due_only: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    retry_seconds: float = 60.0,
    addressees: Addressees | None = None,
) -> Delivery:
    """Send pending alerts, oldest first; stop at the first sign the server is unreachable.

    With `due_only`, alerts that failed recently wait out their backoff (the daemon's retries);
    otherwise every pending alert is tried (an explicit `watcher check`). With `addressees`, each goes to whom the
    config names now, not to whom it named when the alert was queued.
    """
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    unrecorded: list[Callable[[], None]] = []  # acceptances the database could not take at once

    def record(item: OutboxItem, result: Accepted) -> None:
        if result.refused:
            reason = result.refusals()
            retry_at = now() + retry_delay(item.attempts + 1, retry_seconds)
            refused = [r.address for r in result.refused]
            store.mark_partly_sent(item.message_id, result.recipients, refused, reason, retry_at)
            failed.append((item.message_id, reason))
        else:
            store.mark_sent(item.message_id, now())
            sent.append(item.message_id)

    pending = store.pending(due_at=now() if due_only else None)
    for queued in pending:
        if should_stop() or unrecorded:
            break  # nothing more is sent while an acceptance waits to be written
        item = _as_configured(store, queued, addressees, now) if addressees else queued
        if item is None:
            continue

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


def _as_configured(
    store: Store, item: OutboxItem, addressees: Addressees, now: Callable[[], datetime]
) -> OutboxItem | None:
    """The item addressed to whom the config names now, kept so in the outbox; None once nobody is left."""
    readdressed_item = readdressed(item, addressees.ops if item.kind == "ops" else addressees.comms)
    if readdressed_item is item:
        return item
    if readdressed_item is None:
        log.info("alert %s: everyone the config names now already has it; it leaves the outbox", item.message_id)
        store.mark_sent(item.message_id, now())
        return None
    log.info("alert %s: addressed to %s, as the config names now", item.message_id, readdressed_item.message["To"])
    store.readdress(item.message_id, readdressed_item.message, readdressed_item.retry_to)
    return readdressed_item
