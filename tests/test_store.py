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


def test_a_database_of_the_previous_schema_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    """A database written before today's site (schema 5) opens, gains the new columns, and reads as before."""
    import sqlite_utils

    from watcher.schema import MIGRATIONS
    from watcher.store import Store

    from .conftest import fixture_snapshot

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    for number, migrate in enumerate(MIGRATIONS[:5], start=1):
        migrate(old)
        old.table("meta").upsert({"key": "schema_version", "value": str(number)}, pk="key")
    snapshot = fixture_snapshot(2021)
    old.table("snapshots").insert(
        {
            "ranking": "P",
            "url": snapshot.url,
            "edition": 2021,
            "fetched_at": snapshot.fetched_at.isoformat(),
            "content_hash": snapshot.content_hash,
            "school_count": snapshot.count,
            "pages": "[]",
            "origin": "check",
        }
    )
    old.table("rows").insert_all(
        {"snapshot_id": 1, "position": i, "rank": r.rank, "tied": int(r.tied), "name": r.name, "slug": r.slug,
         "city": r.city, "total": r.total, "grp": r.group, "scores": '[["Excellence académique", 13.7]]'}
        for i, r in enumerate(snapshot.rows)
    )  # fmt: skip
    old.close()
    with Store.open(path) as store:
        (read,) = store.snapshots("P")
        version = store.db.execute("select value from meta where key = 'schema_version'").fetchone()[0]
    assert version == str(len(MIGRATIONS))
    assert (read.count, read.content_hash, read.ranks_derived, read.layout) == (168, snapshot.content_hash, False, "")
    imt = next(r for r in read.rows if r.slug == "imt-mines-ales")
    assert (imt.rank, imt.group, imt.total_max, imt.link, imt.score_max) == (27, "A", None, None, ())
