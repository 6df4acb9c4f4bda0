"""The database schema, as migrations: `MIGRATIONS[n]` takes schema n to n + 1.

Plain tables that any SQLite tool can read; never edit a migration that has shipped, add one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a check that has nothing to migrate never loads sqlite-utils (`Store.db`)
    import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("fetches").create(
        {
            "id": int,
            "ranking": str,
            "url": str,
            "started_at": str,
            "status": int,
            "bytes": int,
            "duration_ms": int,
            "outcome": str,
            "error": str,
        },
        pk="id",
    )
    db.table("fetches").create_index(["ranking", "started_at"])
    db.table("validators").create({"url": str, "etag": str, "last_modified": str}, pk="url")
    db.table("snapshots").create(
        {
            "id": int,
            "ranking": str,
            "url": str,
            "edition": int,
            "fetched_at": str,
            "content_hash": str,
            "school_count": int,
            "pages": str,
        },
        pk="id",
    )
    db.table("snapshots").create_index(["ranking", "id"])
    db.table("rows").create(
        {
            "snapshot_id": int,
            "position": int,
            "rank": int,
            "tied": int,
            "name": str,
            "slug": str,
            "city": str,
            "total": float,
            "grp": str,
            "scores": str,
        },
        pk=("snapshot_id", "position"),
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db.table("outbox").create(
        {
            "message_id": str,
            "ranking": str,
            "created_at": str,
            "subject": str,
            "recipients": str,
            "message": bytes,
            "status": str,
            "attempts": int,
            "last_error": str,
            "sent_at": str,
        },
        pk="message_id",
    )
    db.table("outbox").create_index(["status"])


def _v2(db: sqlite_utils.Database) -> None:
    outbox = db.table("outbox")
    outbox.add_column("kind", str, not_null_default="comms")  # comms | ops
    outbox.add_column("next_attempt_at", str)
    db.table("ranking_state").create(
        {
            "ranking": str,
            "failures": int,
            "failing_since": str,
            "failing_alerted": int,
            "stale_alerted": int,
            "last_check_at": str,
            "last_ok_at": str,
            "last_change_at": str,
            "last_error": str,
        },
        pk="ranking",
    )


def _v3(db: sqlite_utils.Database) -> None:
    db.table("snapshots").add_column("origin", str, not_null_default="check")  # check | import


def _v4(db: sqlite_utils.Database) -> None:
    db.table("school_pages").create(
        {
            "id": int,
            "slug": str,
            "url": str,
            "name": str,
            "edition": int,
            "fetched_at": str,
            "content_hash": str,
        },
        pk="id",
    )
    db.table("school_pages").create_index(["slug", "edition", "id"])
    db.table("indicators").create(
        {
            "page_id": int,
            "position": int,
            "section": str,
            "label": str,
            "kind": str,
            "text": str,
            "low": float,
            "high": float,
            "unit": str,
        },
        pk=("page_id", "position"),
        foreign_keys=[("page_id", "school_pages", "id")],
    )


def _v5(db: sqlite_utils.Database) -> None:
    # The fetch log grows by a row per request: its index cost more bytes per check than the row itself,
    # for queries (status, the tests) that read a few hundred rows at most.
    db.execute("drop index if exists idx_fetches_ranking_started_at")


def _v6(db: sqlite_utils.Database) -> None:
    # Today's site: ranks derived from the list order, scores out of a written maximum, the school page's link.
    db.table("snapshots").add_column("ranks_derived", int, not_null_default=0)
    db.table("snapshots").add_column("layout", str, not_null_default="")
    db.table("rows").add_column("total_max", float)
    db.table("rows").add_column("score_max", str)  # JSON [[label, maximum], …], or null
    db.table("rows").add_column("link", str)


def _v7(db: sqlite_utils.Database) -> None:
    # Trust: an email partly refused is resent only to the recipients the server refused; what each host asked of
    # us (Retry-After, backoff, robots.txt and its Crawl-delay) outlives one process.
    db.table("outbox").add_column("retry_to", str)  # JSON [address, …] still to deliver to, or null: every To
    db.table("hosts").create(
        {
            "host": str,
            "not_before": str,  # ISO time before which no request goes to this host (Retry-After, backoff)
            "robots": str,  # the robots.txt body, as last fetched
            "robots_status": int,  # its HTTP status (4xx: no rules; 5xx: assume disallowed)
            "robots_fetched_at": str,
            "crawl_delay": float,
        },
        pk="host",
    )


def _v8(db: sqlite_utils.Database) -> None:
    # Warnings are told to ops once each; an edition far ahead of the last waits for the operator's word.
    state = db.table("ranking_state")
    state.add_column("warning", str)
    state.add_column("warning_key", str)
    state.add_column("accepted_edition", int)


def _v9(db: sqlite_utils.Database) -> None:
    # A school's page is asked for when the list changes or once a day, one that answered 404 only when the list
    # changes: when each was last asked for must outlive the process (`watcher check` from cron).
    db.table("school_page_asks").create(
        {
            "url": str,
            "asked_at": str,  # ISO time of the last request
            "status": int,  # what the server answered: 200, 304, 404…
            "warning": str,  # what that check warned of the page (said again until it is asked again), or null
        },
        pk="url",
    )


def _v10(db: sqlite_utils.Database) -> None:
    # The lists a watched ranking links to (by criterion, by specialty), each watched as a ranking of its own.
    db.table("found_lists").create(
        {
            "url": str,
            "parent": str,  # the configured ranking whose page links to it
            "name": str,  # the ranking it is watched as
            "link_text": str,
            "kind": str,  # criterion | specialty
            "found_at": str,
            "gone_at": str,  # when the parent stopped linking it, or null
        },
        pk="url",
    )
    db.table("ranking_state").add_column("discovered_at", str)  # when the lists were last collected


def _v11(db: sqlite_utils.Database) -> None:
    # An alert told in its publication's one email keeps that email's Message-ID: forgetting one list's edition
    # then cancels that email and sends the other lists' own alerts instead (none lost, none wrong).
    db.table("outbox").add_column("gathered_into", str)
    # Those gathered before, linked to the unsent email that tells them. Its Message-ID is the hash of theirs (as
    # `publication_key` computed it when this shipped), and they were gathered just before it was queued.
    gathered = db.execute(
        "select message_id, created_at from outbox where status = 'gathered' order by created_at, message_id"
    ).fetchall()
    emails = db.execute("select message_id, created_at from outbox where kind = 'comms' and status = 'pending'")
    for email, queued in emails.fetchall():
        before = [message_id for message_id, created in gathered if created <= queued]
        for start in range(len(before) - 2, -1, -1):
            told = before[start:]
            keys = "\n".join(sorted(message_id.strip("<>").partition("@")[0] for message_id in told))
            if hashlib.sha256(keys.encode()).hexdigest()[:32] == email.strip("<>").partition("@")[0]:
                marks = ", ".join("?" * len(told))
                db.execute(f"update outbox set gathered_into = ? where message_id in ({marks})", [email, *told])
                break


def _v12(db: sqlite_utils.Database) -> None:
    # Who the server has accepted a pending email for, kept apart from its To: an alert can then follow the
    # config's addresses (a typo corrected) and never reach anyone twice, whatever they change to and back.
    db.table("outbox").add_column("delivered_to", str)  # JSON [address, …], or null: nobody yet
    partly = db.execute("select message_id, recipients, retry_to from outbox where retry_to is not null")
    for message_id, to, refused in partly.fetchall():
        try:
            still = set(json.loads(refused))
        except (ValueError, TypeError):  # a row edited by hand: nobody is taken to have it
            continue
        delivered = [a.strip() for a in (to or "").split(",") if a.strip() and a.strip() not in still]
        db.execute("update outbox set delivered_to = ? where message_id = ?", [json.dumps(delivered), message_id])


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11, _v12
)  # fmt: skip
