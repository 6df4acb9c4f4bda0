"""Delivering the outbox over real SMTP: sent once, marked at the server's 250, refused recipients retried alone."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from watcher.config import EmailConfig
from watcher.errors import StoreError
from watcher.mail import SmtpMailer
from watcher.model import EMAIL_POLICY
from watcher.outbox import Addressees, deliver_pending, readdressed
from watcher.store.db import Store
from watcher.store.outbox import OutboxItem
from watcher.tables import build

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
        config = build(
            EmailConfig,
            {
                "to": ["communication@example.org"],
                "from": "watcher@example.org",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
            },
        )
        delivery = deliver_pending(store, SmtpMailer(config), lambda: datetime.now(UTC))
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["deliver me"]
    assert delivery.sent == ("<2@example.org>",)
    assert [(mid, "554" in reason) for mid, reason in delivery.failed] == [("<1@example.org>", True)]
    assert [p.message_id for p in store.pending()] == ["<1@example.org>"]  # kept, and reported by status


def email_config(port: int, **settings: object) -> EmailConfig:
    return build(
        EmailConfig,
        {"to": ["communication@example.org"], "from": "watcher@example.org", "smtp_host": "127.0.0.1"}
        | {"smtp_port": port, "timeout_seconds": 5, **settings},
    )


def addressed(n: int, *to: str) -> EmailMessage:
    m = message(f"alert {n}", n)
    m.replace_header("To", ", ".join(to))
    return m


class Unknowns(Inbox):
    """Refuses, for good, the recipients in `unknown` (as a server does a mailbox it does not have)."""

    def __init__(self, *unknown: str) -> None:
        super().__init__()
        self.unknown = set(unknown)
        self.envelopes: list[list[str]] = []  # the RCPT TO of each message accepted

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.unknown:
            return "550 5.1.1 User unknown"
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(list(envelope.rcpt_tos))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def unknowns() -> Iterator[tuple[Unknowns, int]]:
    inbox, port = Unknowns("gone@example.org"), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def queued_to_two(tmp_path: Path, port: int) -> tuple[Store, SmtpMailer]:
    """A database holding alert 1 for communication@ (a mailbox the server has) and gone@ (one it refuses)."""
    store = Store.open(tmp_path / "watcher.db")
    store.record_check("r", [], alerts=[addressed(1, "communication@example.org", "gone@example.org")])
    return store, SmtpMailer(email_config(port))


def test_a_refused_recipient_is_retried_alone_with_the_same_message_id(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store, mailer = queued_to_two(tmp_path, port)

    first = deliver_pending(store, mailer)
    assert inbox.envelopes == [["communication@example.org"]]
    assert first.sent == ()
    [(message_id, reason)] = first.failed
    assert message_id == "<1@example.org>"
    assert f"the mail server 127.0.0.1:{port} refused gone@example.org (550 5.1.1 User unknown)" in reason
    [item] = store.pending()
    assert item.retry_to == ("gone@example.org",)
    assert item.last_error == reason

    inbox.unknown.clear()  # the mailbox is created
    second = deliver_pending(store, mailer)
    assert inbox.envelopes == [["communication@example.org"], ["gone@example.org"]]
    assert [m["Message-ID"] for m in inbox.messages] == ["<1@example.org>", "<1@example.org>"]
    assert (second.sent, second.failed, second.left_pending) == (("<1@example.org>",), (), 0)
    (row,) = store.db["outbox"].rows
    assert (row["status"], row["retry_to"], row["attempts"]) == ("sent", None, 2)


def test_every_recipient_refused_keeps_the_alert_pending_with_the_servers_reason(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store = Store.open(tmp_path / "watcher.db")
    store.record_check("r", [], alerts=[addressed(1, "gone@example.org"), addressed(2, "communication@example.org")])
    delivery = deliver_pending(store, SmtpMailer(email_config(port)))
    assert [m["Message-ID"] for m in inbox.messages] == ["<2@example.org>"]  # the next alert still went
    assert delivery.sent == ("<2@example.org>",)
    [(message_id, reason)] = delivery.failed
    assert message_id == "<1@example.org>"
    assert f"the mail server 127.0.0.1:{port} refused every recipient: gone@example.org (550 5.1.1 User unknown)" in (
        reason
    )
    [item] = store.pending()
    assert (item.message_id, item.retry_to, item.last_error) == ("<1@example.org>", None, reason)


def ops_notice(n: int, *to: str) -> EmailMessage:
    m = addressed(n, *to)
    m["X-Watcher-Kind"] = "ops"
    return m


def test_an_alert_refused_for_a_mistyped_address_goes_to_the_corrected_one(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store = Store.open(tmp_path / "watcher.db")
    store.record_check(
        "r", [], alerts=[addressed(1, "gone@example.org")], ops_alerts=[ops_notice(2, "ops@example.org")]
    )
    mailer = SmtpMailer(email_config(port))
    first = deliver_pending(store, mailer, addressees=Addressees(("gone@example.org",), ("ops@example.org",)))
    assert [message_id for message_id, _ in first.failed] == ["<1@example.org>"]

    # The comms team corrects email.to and ops_to; the alert waiting since goes where the config says now.
    now = Addressees(("communication@example.org",), ("ops-desk@example.org",))
    store.record_check("r", [], ops_alerts=[ops_notice(3, "ops@example.org")])
    second = deliver_pending(store, mailer, addressees=now)
    assert second.sent == ("<1@example.org>", "<3@example.org>")
    assert inbox.envelopes[1:] == [["communication@example.org"], ["ops-desk@example.org"]]
    assert [m["To"] for m in inbox.messages[1:]] == ["communication@example.org", "ops-desk@example.org"]
    assert store.pending() == []


def test_an_alert_partly_sent_goes_only_to_the_addresses_that_do_not_have_it_yet(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store, mailer = queued_to_two(tmp_path, port)
    deliver_pending(store, mailer)  # communication@ has it; gone@ was refused
    [waiting] = store.pending()
    assert waiting.retry_to == ("gone@example.org",)

    now = Addressees(("communication@example.org", "press@example.org"), ("ops@example.org",))
    delivery = deliver_pending(store, mailer, addressees=now)
    assert delivery.sent == ("<1@example.org>",)
    assert inbox.envelopes == [["communication@example.org"], ["press@example.org"]]  # nobody twice
    assert inbox.messages[-1]["To"] == "communication@example.org, press@example.org"
    (row,) = store.db["outbox"].rows
    assert (row["status"], row["recipients"], row["retry_to"]) == (
        "sent",
        "communication@example.org, press@example.org",
        None,
    )


def test_an_address_removed_from_the_config_is_not_retried_for_ever(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store, mailer = queued_to_two(tmp_path, port)
    deliver_pending(store, mailer)  # communication@ has it; gone@ was refused, and is then taken out of email.to
    delivery = deliver_pending(store, mailer, addressees=Addressees(("communication@example.org",), ()))
    assert (delivery.sent, delivery.failed, delivery.left_pending) == ((), (), 0)
    assert inbox.envelopes == [["communication@example.org"]]
    (row,) = store.db["outbox"].rows
    assert row["status"] == "sent"


def test_an_alert_whose_addresses_did_not_change_is_left_as_queued(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store, mailer = queued_to_two(tmp_path, port)
    same = Addressees(("gone@example.org", "communication@example.org"), ())  # another order, the same people
    deliver_pending(store, mailer, addressees=same)
    deliver_pending(store, mailer, addressees=same)
    assert inbox.envelopes == [["communication@example.org"]]  # gone@ is still refused; nobody got it twice
    [item] = store.pending()
    assert (item.retry_to, item.message["To"]) == (("gone@example.org",), "communication@example.org, gone@example.org")


def test_nobody_gets_an_alert_twice_when_the_addresses_change_and_change_back(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    # Say a `watcher check` run by hand with a corrected config, and a daemon still on the old one, take turns.
    inbox, port = unknowns
    inbox.unknown.add("typo@example.org")
    store, mailer = queued_to_two(tmp_path, port)
    deliver_pending(store, mailer)  # communication@ has it; gone@ was refused
    deliver_pending(store, mailer, addressees=Addressees(("typo@example.org",), ()))  # refused too
    back = Addressees(("communication@example.org", "gone@example.org"), ())
    deliver_pending(store, mailer, addressees=back)
    inbox.unknown.clear()
    delivery = deliver_pending(store, mailer, addressees=back)
    assert inbox.envelopes == [["communication@example.org"], ["gone@example.org"]]
    assert delivery.sent == ("<1@example.org>",)


def test_each_partial_delivery_adds_to_those_who_have_the_alert(tmp_path: Path, unknowns: tuple[Unknowns, int]) -> None:
    inbox, port = unknowns
    inbox.unknown.add("later@example.org")
    store = Store.open(tmp_path / "watcher.db")
    to = ("communication@example.org", "gone@example.org", "later@example.org")
    store.record_check("r", [], alerts=[addressed(1, *to)])
    mailer = SmtpMailer(email_config(port))
    deliver_pending(store, mailer)  # communication@ has it
    inbox.unknown.discard("later@example.org")
    deliver_pending(store, mailer)  # later@ has it too; gone@ is still refused
    [item] = store.pending()
    assert set(item.delivered_to) == {"communication@example.org", "later@example.org"}
    now = ("communication@example.org", "gone@example.org", "later@example.org", "press@example.org")
    deliver_pending(store, mailer, addressees=Addressees(now, ()))
    assert inbox.envelopes[-1] == ["press@example.org"]  # gone@ refused again; nobody else twice


def test_an_address_written_in_other_capitals_is_the_same_address(
    tmp_path: Path, unknowns: tuple[Unknowns, int]
) -> None:
    inbox, port = unknowns
    store, mailer = queued_to_two(tmp_path, port)
    deliver_pending(store, mailer)
    deliver_pending(store, mailer, addressees=Addressees(("Communication@Example.ORG", "gone@example.org"), ()))
    assert inbox.envelopes == [["communication@example.org"]]  # not a second copy to the same mailbox
    (row,) = store.db["outbox"].rows
    assert row["recipients"] == "communication@example.org, gone@example.org"  # not rewritten at each pass
    deliver_pending(store, mailer, addressees=Addressees(("Communication@Example.ORG", "press@example.org"), ()))
    assert inbox.envelopes == [["communication@example.org"], ["press@example.org"]]


def test_an_alert_released_from_a_cancelled_publication_email_goes_to_the_config_not_to_its_refused_address() -> None:
    # `forget` hands the members of a cancelled publication email that email's retry_to and delivered_to, which
    # may name other addresses than their own To (the email was addressed anew before being cancelled).
    item = OutboxItem(
        "<1@example.org>", "r", "comms", datetime.now(UTC), 1, "550", addressed(1, "a@example.org", "b@example.org"),
        retry_to=("d@example.org",), delivered_to=("c@example.org",),
    )  # fmt: skip
    again = readdressed(item, ("a@example.org", "b@example.org"))
    assert again is not None and again.retry_to == ("a@example.org", "b@example.org")


def test_a_config_naming_nobody_never_counts_an_alert_as_delivered(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "watcher.db")
    store.record_check("r", [], alerts=[addressed(1, "communication@example.org")])
    [item] = store.pending()
    assert readdressed(item, ()) is item


class SlowQuit(Inbox):
    """Takes the message, then holds its answer to QUIT, noting what the outbox said of the message meanwhile."""

    def __init__(self, database: Path) -> None:
        super().__init__()
        self.database = database
        self.status_during_quit: list[str] = []
        self.quitting = threading.Event()
        self.release = False

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        with closing(sqlite3.connect(self.database)) as db:
            self.status_during_quit += [status for (status,) in db.execute("select status from outbox")]
        self.quitting.set()
        for _ in range(600):  # a minute at most, so that a stuck test still ends
            if self.release:
                break
            await asyncio.sleep(0.1)
        return "221 Bye"


@pytest.fixture
def slow_quit(tmp_path: Path) -> Iterator[tuple[SlowQuit, int]]:
    inbox, port = SlowQuit(tmp_path / "watcher.db"), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    inbox.release = True
    controller.stop()


def test_an_alert_is_marked_sent_at_the_servers_250_before_quit(
    tmp_path: Path, slow_quit: tuple[SlowQuit, int]
) -> None:
    inbox, port = slow_quit
    store = Store.open(tmp_path / "watcher.db")
    store.record_check("r", [], alerts=[message("deliver me", 1)])
    mailer = SmtpMailer(email_config(port, timeout_seconds=1))  # QUIT is never answered within it

    delivery = deliver_pending(store, mailer)
    assert inbox.status_during_quit == ["sent"]  # recorded while the server still held QUIT
    assert (delivery.sent, delivery.failed, delivery.left_pending) == (("<1@example.org>",), (), 0)

    again = deliver_pending(store, mailer)
    assert (again.sent, again.failed) == ((), ())
    assert [m["Subject"] for m in inbox.messages] == ["deliver me"]


DELIVER = """
import sys
from pathlib import Path
from watcher.config import EmailConfig
from watcher.errors import StoreError
from watcher.tables import build
from watcher.mail import SmtpMailer
from watcher.outbox import Addressees, deliver_pending, readdressed
from watcher.store.db import Store
config = build(EmailConfig, {"to": ["communication@example.org"], "from": "watcher@example.org",
    "smtp_host": "127.0.0.1", "smtp_port": int(sys.argv[2]), "timeout_seconds": 120})
deliver_pending(Store.open(Path(sys.argv[1])), SmtpMailer(config))
"""


def test_a_process_killed_while_the_server_holds_quit_sends_no_second_copy(
    tmp_path: Path, slow_quit: tuple[SlowQuit, int]
) -> None:
    inbox, port = slow_quit
    store = Store.open(tmp_path / "watcher.db")
    store.record_check("r", [], alerts=[message("deliver me", 1)])
    process = subprocess.Popen([sys.executable, "-c", DELIVER, str(tmp_path / "watcher.db"), str(port)])
    try:
        assert inbox.quitting.wait(60), "the delivery never reached QUIT"
    finally:
        process.kill()
        process.wait()
    inbox.release = True

    again = deliver_pending(store, SmtpMailer(email_config(port)))
    assert (again.sent, again.failed, again.left_pending) == ((), (), 0)
    assert [m["Subject"] for m in inbox.messages] == ["deliver me"]
    (row,) = store.db["outbox"].rows
    assert row["status"] == "sent"


class Closing(Inbox):
    """Answers 421 (closing down) to any recipient: no message can go now."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return "421 4.3.2 System shutting down"


def test_a_server_closing_down_at_the_recipients_ends_the_pass(tmp_path: Path) -> None:
    inbox, port = Closing(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        store = Store.open(tmp_path / "watcher.db")
        store.record_check("r", [], alerts=[message("first", 1), message("second", 2)])
        delivery = deliver_pending(store, SmtpMailer(email_config(port)))
    finally:
        controller.stop()
    [(message_id, reason)] = delivery.failed  # the second was not even tried
    assert message_id == "<1@example.org>"
    assert "communication@example.org (421 4.3.2 System shutting down)" in reason
    assert [(item.message_id, item.attempts) for item in store.pending()] == [
        ("<1@example.org>", 1),
        ("<2@example.org>", 0),
    ]


# --- The database cannot take the 250 ------------------------------------------------------------------------


REFUSE_SENT = """create trigger refuse_sent before update of status on outbox when new.status = 'sent'
begin select raise(abort, 'database or disk is full'); end"""


class HealsAtQuit(Inbox):
    """Accepts every message; when `heal` is set, the database takes writes again by the time QUIT is answered."""

    def __init__(self, database: Path, heal: bool) -> None:
        super().__init__()
        self.database, self.heal = database, heal

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.heal:
            with closing(sqlite3.connect(self.database)) as db:
                db.execute("drop trigger refuse_sent")
                db.commit()
        return "221 Bye"


@pytest.mark.parametrize("heal", [True, False])
def test_an_acceptance_the_database_cannot_take_stops_the_pass_and_is_never_sent_twice(
    tmp_path: Path, heal: bool
) -> None:
    database = tmp_path / "watcher.db"
    store = Store.open(database)
    store.record_check("r", [], alerts=[message("first", 1), message("second", 2)])
    store.db.execute(REFUSE_SENT)  # a real SQLite error at the 250, as a full disk gives
    inbox, port = HealsAtQuit(database, heal), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = SmtpMailer(email_config(port))
        if heal:
            delivery = deliver_pending(store, mailer)
            # Written once the session was over; the pass stopped there, the second waits for the next one.
            assert (delivery.sent, delivery.left_pending) == (("<1@example.org>",), 1)
            assert deliver_pending(store, mailer).sent == ("<2@example.org>",)
            assert deliver_pending(store, mailer).sent == ()
        else:
            with pytest.raises(StoreError, match="may be sent a second time"):
                deliver_pending(store, mailer)
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == (["first", "second"] if heal else ["first"])
