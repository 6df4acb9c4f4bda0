"""The database: each operation of the store, its one transaction per check, and every schema migration."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlite_utils

from watcher.errors import StoreError
from watcher.model import FetchLog, Indicator, PageAsk, RankingState, SchoolPage, Validators, Value
from watcher.store.db import Store
from watcher.store.schema import MIGRATIONS

from .conftest import fixture_snapshot


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

    from watcher.store.db import Store
    from watcher.store.schema import MIGRATIONS

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


# --- One test per operation ------------------------------------------------------------------------

T0 = datetime(2026, 1, 20, 6, 0, tzinfo=UTC)


def _page(slug: str, edition: int, value: str, at: datetime = T0) -> SchoolPage:
    indicator = Indicator("Insertion", "Salaire de sortie", Value("number", value, float(value.split()[0]), unit="€"))
    return SchoolPage(slug, f"https://www.letudiant.fr/{slug}.html", "IMT Mines Alès", (indicator,), at, edition)


def test_open_creates_the_database_and_its_folder_at_the_latest_schema(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new" / "folder" / "w.db") as store:
        version = store.db.execute("select value from meta where key = 'schema_version'").fetchone()[0]
        assert version == str(len(MIGRATIONS))
        assert {"snapshots", "rows", "fetches", "validators", "outbox", "ranking_state", "school_pages"} <= set(
            store.db.table_names()
        )


def test_open_refuses_a_database_written_by_a_newer_watcher(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        store.db.table("meta").upsert({"key": "schema_version", "value": str(len(MIGRATIONS) + 1)}, pk="key")
    with pytest.raises(StoreError, match="newer watcher"):
        Store.open(tmp_path / "w.db")


def test_open_names_the_path_when_it_cannot_be_a_database(tmp_path: Path) -> None:
    (tmp_path / "w.db").write_bytes(b"not a database at all " * 100)
    with pytest.raises(StoreError, match=r"Cannot open the database .*w\.db"):
        Store.open(tmp_path / "w.db")


def test_the_store_is_a_context_manager_that_closes_its_connection(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        store.rankings()
    with pytest.raises(sqlite3.ProgrammingError):
        store.db.execute("select 1")


def test_known_of_a_new_ranking_is_empty_with_a_fresh_state(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        known = store.known("P")
    assert (known.snapshots, known.validators, known.school_pages) == ((), {}, ())
    assert known.state == RankingState("P")


def test_record_check_then_known_gives_back_everything_it_wrote(tmp_path: Path) -> None:
    old, new = fixture_snapshot(2020, ranking="P"), fixture_snapshot(2021, ranking="P")
    validators = Validators(new.url, '"v1"', "Tue, 14 Dec 2021 06:00:00 GMT")
    state = RankingState("P", last_check_at=T0, last_ok_at=T0, last_change_at=T0)
    pages = (_page("imt-mines-ales", 2020, "38000 €"), _page("imt-mines-ales", 2021, "41000 €"))
    fetch = FetchLog(new.url, T0, 200, 1234, 56, "fetched")
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [fetch], snapshot=old)
        store.record_check("P", [fetch], snapshot=new, validators=[validators], state=state, school_pages=pages)
        store.record_check("Other", [], snapshot=fixture_snapshot(2019, ranking="Other"))
        known = store.known("P")
        fetches = list(store.db["fetches"].rows)
    assert known.snapshots == (old, new)  # rows, ranks, ties, scores, groups: equal field by field
    assert [s.content_hash for s in known.snapshots] == [old.content_hash, new.content_hash]
    assert known.validators[new.url] == validators
    assert known.state == state
    assert known.school_pages == pages
    assert [(f["ranking"], f["status"], f["bytes"], f["outcome"]) for f in fetches] == [("P", 200, 1234, "fetched")] * 2


def test_snapshots_and_rankings_list_what_was_recorded(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        for year in (2019, 2021, 2020):  # recorded out of edition order: kept in the order recorded
            store.record_check("P", [], snapshot=fixture_snapshot(year, ranking="P"))
        store.record_check("A", [], snapshot=fixture_snapshot(2019, ranking="A"))
        assert [s.edition for s in store.snapshots("P")] == [2019, 2021, 2020]
        assert store.rankings() == ["A", "P"]
        assert store.snapshots("nothing") == []


def test_validators_are_replaced_by_the_latest_answer(tmp_path: Path) -> None:
    url = "https://www.letudiant.fr/classements/x.html"
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], validators=[Validators(url, '"a"', None)])
        store.record_check("P", [], validators=[Validators(url, '"b"', "Mon, 19 Jan 2026 06:00:00 GMT")])
        assert store.known("P").validators == {url: Validators(url, '"b"', "Mon, 19 Jan 2026 06:00:00 GMT")}


def test_a_school_pages_last_ask_is_replaced_by_the_latest_and_read_back_by_address(tmp_path: Path) -> None:
    ales, albi = "https://x/imt-mines-ales.html", "https://x/imt-mines-albi.html"
    gone = PageAsk(ales, T0 + timedelta(days=1), 404, "the page of IMT Mines Alès could not be read")
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], asks=[PageAsk(ales, T0, 200)])
        store.record_check("P", [], asks=[gone, PageAsk(albi, T0, 304)])
        known = store.known("P")
    assert known.asks == {ales: gone, albi: PageAsk(albi, T0, 304)}


def test_state_is_replaced_by_the_latest_check(tmp_path: Path) -> None:
    failing = RankingState("P", failures=2, failing_since=T0, failing_alerted=True, last_error="HTTP 503")
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], state=RankingState("P", last_ok_at=T0))
        store.record_check("P", [], state=failing)
        assert store.state("P") == failing
        assert store.state("Q") == RankingState("Q")


def test_a_check_that_cannot_be_written_whole_writes_nothing(tmp_path: Path) -> None:
    """One transaction: a failure half-way (here, a snapshot whose rows collide) leaves the database as it was."""
    snapshot = fixture_snapshot(2021, ranking="P")
    with Store.open(tmp_path / "w.db") as store:
        store.db.execute(
            "create trigger no_rows before insert on rows when new.position = 100 "
            "begin select raise(abort, 'disk full'); end"
        )
        with pytest.raises(StoreError, match="Cannot write the check of 'P'"):
            store.record_check(
                "P",
                [FetchLog(snapshot.url, T0, 200, 1, 1, "fetched")],
                snapshot=snapshot,
                alerts=[alert()],
                state=RankingState("P", last_ok_at=T0),
            )
        assert store.known("P").snapshots == ()
        assert store.state("P") == RankingState("P")
        assert store.pending() == []
        assert store.db.execute("select count(*) from fetches").fetchone()[0] == 0


def test_a_read_inside_a_write_is_part_of_it_and_undone_with_it(tmp_path: Path) -> None:
    """`accept_edition` reads the state within its write: one transaction, which a failure rolls back whole."""
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], state=RankingState("P", failures=1))
        store.db.execute(
            "create trigger no_state before update on ranking_state begin select raise(abort, 'disk full'); end"
        )
        with pytest.raises(StoreError, match="Cannot write the edition accepted for 'P'"):
            store.accept_edition("P", 2027)
        assert not store.conn.in_transaction
        store.db.execute("drop trigger no_state")
        store.accept_edition("P", 2027)
        assert store.state("P") == RankingState("P", failures=1, accepted_edition=2027)


def test_an_up_to_date_database_is_read_and_written_without_loading_sqlite_utils(tmp_path: Path) -> None:
    """sqlite-utils (with click, dateutil, pluggy) is a tenth of a check's time: it comes only to migrate."""
    path = tmp_path / "w.db"
    Store.open(path).close()  # created at the latest schema
    script = f"""
import sys
from datetime import UTC, datetime
from pathlib import Path
from watcher.model import FetchLog, RankingState
from watcher.store.db import Store
at = datetime(2026, 1, 20, 6, 0, tzinfo=UTC)
with Store.open(Path({str(path)!r})) as store:
    store.known("P")
    store.record_check("P", [FetchLog("https://x/list.html", at, 304, 0, 12, "not-modified")],
                       state=RankingState("P", last_check_at=at))
    store.pending()
print("sqlite_utils" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert (done.stdout, done.stderr) == ("False\n", "")
    with Store.open(path) as store:
        assert store.state("P") == RankingState("P", last_check_at=T0)
        assert store.db.execute("select status, outcome from fetches").fetchall() == [(304, "not-modified")]


def test_pending_lists_comms_and_ops_mail_oldest_first_and_only_those_due(tmp_path: Path) -> None:
    ops = alert("[watcher] P: 3 failed checks")
    ops.replace_header("Message-ID", "<ops@example.org>")
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], alerts=[alert()], ops_alerts=[ops])
        assert [(i.message_id, i.kind, i.attempts) for i in store.pending()] == [
            ("<same-alert@example.org>", "comms", 0),
            ("<ops@example.org>", "ops", 0),
        ]
        store.mark_failed("<ops@example.org>", "421 busy", retry_at=T0 + timedelta(minutes=5))
        assert [i.message_id for i in store.pending(due_at=T0)] == ["<same-alert@example.org>"]
        assert [i.message_id for i in store.pending(due_at=T0 + timedelta(minutes=5))] == [
            "<same-alert@example.org>",
            "<ops@example.org>",
        ]
        (item,) = [i for i in store.pending() if i.kind == "comms"]
        assert item.message["Subject"] == "IMT Mines Alès : 15e"


def test_mark_sent_takes_an_alert_out_of_the_outbox_for_good(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], alerts=[alert()])
        store.mark_sent("<same-alert@example.org>", T0)
        store.record_check("P", [], alerts=[alert()])  # the same alert rendered again by a later check
        assert store.pending() == []
        (row,) = store.db["outbox"].rows
        assert (row["status"], row["sent_at"], row["attempts"]) == ("sent", T0.isoformat(), 1)


def test_mark_failed_counts_the_attempt_and_keeps_the_reason(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], alerts=[alert()])
        store.mark_failed("<same-alert@example.org>", "421 try later")
        store.mark_failed("<same-alert@example.org>", "connection refused")
        (item,) = store.pending()
        assert (item.attempts, item.last_error) == (2, "connection refused")


# --- Every migration keeps the data ------------------------------------------------------------------


def _insert(db: sqlite_utils.Database, table: str, record: dict[str, object]) -> None:
    """Insert the columns the table has at this schema version."""
    columns = db.table(table).columns_dict
    db.table(table).insert({k: v for k, v in record.items() if k in columns})


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_a_database_of_every_older_schema_is_migrated_and_keeps_its_data(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.db"
    old = sqlite_utils.Database(path)
    for number, migrate in enumerate(MIGRATIONS[:version], start=1):
        migrate(old)
        old.table("meta").upsert({"key": "schema_version", "value": str(number)}, pk="key")
    snapshot = fixture_snapshot(2021, ranking="P")
    _insert(old, "snapshots", {"id": 1, "ranking": "P", "url": snapshot.url, "edition": 2021,
        "fetched_at": snapshot.fetched_at.isoformat(), "content_hash": snapshot.content_hash,
        "school_count": snapshot.count, "pages": json.dumps(list(snapshot.pages)), "origin": "check"})  # fmt: skip
    for position, r in enumerate(snapshot.rows):
        _insert(old, "rows", {"snapshot_id": 1, "position": position, "rank": r.rank, "tied": int(r.tied),
            "name": r.name, "slug": r.slug, "city": r.city, "total": r.total, "grp": r.group,
            "scores": json.dumps(r.scores, ensure_ascii=False)})  # fmt: skip
    _insert(old, "validators", {"url": snapshot.url, "etag": '"e"', "last_modified": None})
    message = alert()
    _insert(old, "outbox", {"message_id": message["Message-ID"], "ranking": "P", "created_at": T0.isoformat(),
        "subject": message["Subject"], "recipients": message["To"], "message": bytes(message),
        "status": "pending", "attempts": 1, "last_error": "421"})  # fmt: skip
    if version >= 2:
        _insert(old, "ranking_state", {"ranking": "P", "failures": 0, "failing_alerted": 0, "stale_alerted": 0,
            "last_check_at": T0.isoformat(), "last_ok_at": T0.isoformat()})  # fmt: skip
    if version >= 4:
        _insert(old, "school_pages", {"id": 1, "slug": "imt-mines-ales", "url": "https://x/imt.html",
            "name": "IMT Mines Alès", "edition": 2021, "fetched_at": T0.isoformat(), "content_hash": "h"})  # fmt: skip
        _insert(old, "indicators", {"page_id": 1, "position": 0, "section": None, "label": "Salaire",
            "kind": "number", "text": "41 000 €", "low": 41000.0, "high": None, "unit": "€"})  # fmt: skip
    old.close()

    with Store.open(path) as store:
        known = store.known("P")
        pending = store.pending()
        version_now = store.db.execute("select value from meta where key = 'schema_version'").fetchone()[0]
        asks_columns = store.db["school_page_asks"].columns_dict
    assert version_now == str(len(MIGRATIONS))
    assert asks_columns == {"url": str, "asked_at": str, "status": int, "warning": str}
    (read,) = known.snapshots
    # Every field an older schema had is kept; the school page's link came with schema 6.
    assert read.rows == tuple(replace(r, link=None) for r in snapshot.rows)
    assert read.content_hash == snapshot.content_hash
    assert known.validators[snapshot.url].etag == '"e"'
    assert [(i.message_id, i.kind, i.attempts) for i in pending] == [(message["Message-ID"], "comms", 1)]
    assert known.state == (RankingState("P", last_check_at=T0, last_ok_at=T0) if version >= 2 else RankingState("P"))
    assert [p.indicators[0].value.text for p in known.school_pages] == (["41 000 €"] if version >= 4 else [])
    assert known.asks == {}  # schema 9: when each school page was last asked for, from the next check on


def test_without_history_known_gives_the_last_checked_list_whole_and_never_a_forgotten_one(tmp_path: Path) -> None:
    """What a 304 needs: the list `previous_check` names, with every row; rows kept from one check to the next are
    dropped when that list is forgotten and another takes its place (even under the same id)."""
    first, later = fixture_snapshot(2020, ranking="P"), fixture_snapshot(2021, ranking="P")
    imported = replace(
        fixture_snapshot(2019, ranking="P"), edition=2022, origin="import"
    )  # fills the history, never the base
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], snapshot=first)
        store.record_check("P", [], snapshot=later)
        store.record_check("P", [], snapshot=imported)
        light = store.known("P", history=False)
        assert (light.snapshots, light.history) == ((later,), False)
        assert store.known("P", history=False).snapshots == (later,)  # again, from the rows kept
        store.forget("P", 2021)
        store.forget("P", 2022)
        other = replace(
            later, rows=later.rows[::-1], content_hash="another", fetched_at=later.fetched_at + timedelta(days=1)
        )
        store.record_check("P", [], snapshot=other)  # SQLite gives it the id the forgotten list had
        assert store.known("P", history=False).snapshots == (other,)
        assert store.known("P").snapshots == (first, other)


def test_without_history_known_gives_the_last_page_of_each_school_whole_and_reads_a_new_one(tmp_path: Path) -> None:
    old, new, peer = _page("imt", 2020, "38000 €"), _page("imt", 2021, "41000 €"), _page("albi", 2021, "39000 €")
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], school_pages=[old, peer])
        assert store.known("P", history=False).school_pages == (old, peer)
        store.record_check("P", [], school_pages=[new])
        assert store.known("P", history=False).school_pages == (peer, new)  # again, kept; then the new one read
        assert store.known("P").school_pages == (old, peer, new)
    with Store.open(tmp_path / "w.db") as store:  # another store on the same file: the same answer
        assert store.known("P", history=False).school_pages == (peer, new)


def _mail(message_id: str) -> EmailMessage:
    message = alert(f"IMT Mines Alès : {message_id}")
    del message["Message-ID"]
    message["Message-ID"] = f"<{message_id}@example.org>"
    return message


def _publication(store: Store, snapshot_of: str) -> None:
    """Three lists of one publication held, then told in one email (`general` first), `snapshot_of`'s list kept."""
    store.record_check(snapshot_of, [], snapshot=fixture_snapshot(2021, ranking=snapshot_of))
    for name in ("general", "salary", "digital"):
        store.record_check(name, [], held=[_mail(name)])
    held = [f"<{name}@example.org>" for name in ("general", "salary", "digital")]
    store.gather("general", held, _mail("publication"))


@pytest.mark.parametrize("forgotten", ["salary", "general"])
def test_forgetting_a_list_told_in_its_publications_email_sends_the_other_lists_alerts_instead(
    tmp_path: Path, forgotten: str
) -> None:
    """The one email would tell the forgotten list's news too: it is cancelled, and nothing else is lost."""
    with Store.open(tmp_path / "w.db") as store:
        _publication(store, forgotten)
        assert [p.message_id for p in store.pending()] == ["<publication@example.org>"]
        store.forget(forgotten, 2021)
        others = {"general", "salary", "digital"} - {forgotten}
        assert {p.message_id for p in store.pending()} == {f"<{name}@example.org>" for name in others}
        statuses = dict(store.conn.execute("select message_id, status from outbox").fetchall())
        assert statuses["<publication@example.org>"] == statuses[f"<{forgotten}@example.org>"] == "cancelled"


def test_a_publications_email_already_sent_is_not_told_again_and_a_partly_sent_one_goes_where_it_had_not(
    tmp_path: Path,
) -> None:
    with Store.open(tmp_path / "sent.db") as store:
        _publication(store, "salary")
        store.mark_sent("<publication@example.org>", T0)
        store.forget("salary", 2021)
        assert store.pending() == []  # the others' news went out in it: not a second time
    with Store.open(tmp_path / "partly.db") as store:
        _publication(store, "salary")
        accepted, refused = ["comms@example.org"], ["dg@example.org"]
        store.mark_partly_sent("<publication@example.org>", accepted, refused, "550 mailbox full", T0)
        store.forget("salary", 2021)
        assert {(p.message_id, p.retry_to, p.delivered_to) for p in store.pending()} == {
            ("<general@example.org>", ("dg@example.org",), ("comms@example.org",)),
            ("<digital@example.org>", ("dg@example.org",), ("comms@example.org",)),
        }


def test_an_alert_held_by_a_run_that_ended_early_is_cancelled_too_never_released(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("salary", [], snapshot=fixture_snapshot(2021, ranking="salary"), held=[_mail("salary")])
        store.forget("salary", 2021)
        assert store.release_held() == 0 and store.pending() == []


def test_an_edition_read_at_another_offset_cancels_the_alerts_queued_after_it(tmp_path: Path) -> None:
    """The outbox writes UTC times; a capture may carry +02:00. Compared as text, 08:30+02:00 (06:30 UTC) would
    look later than an alert queued at 07:00 UTC."""
    paris = timezone(timedelta(hours=2))
    read = fixture_snapshot(2021, ranking="P")
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], snapshot=replace(read, fetched_at=datetime(2026, 1, 20, 8, 30, tzinfo=paris)))
        store.record_check("P", [], alerts=[_mail("moved")])
        store.conn.execute("update outbox set created_at = ?", [datetime(2026, 1, 20, 7, 0, tzinfo=UTC).isoformat()])
        store.forget("P", 2021)
        assert store.pending() == []


def test_alerts_gathered_before_schema_11_are_linked_to_their_unsent_email(tmp_path: Path) -> None:
    """The migration finds each unsent publication email's alerts by its Message-ID (the hash of theirs), so a
    forget after the upgrade neither loses the other lists' news nor sends the forgotten one's."""
    keys = {name: hashlib.sha256(name.encode()).hexdigest()[:32] for name in ("general", "salary", "digital")}
    publication = hashlib.sha256("\n".join(sorted(keys.values())).encode()).hexdigest()[:32]
    path = tmp_path / "v10.db"
    old = _at_schema(path, 10)
    _insert(old, "outbox", _row("<unrelated@example.org>", "other", "gathered", "2026-01-19T07:00:00+00:00"))
    for minute, (name, key) in enumerate(keys.items()):
        _insert(old, "outbox", _row(f"<{key}@example.org>", name, "gathered", f"2026-01-20T07:0{minute}:00+00:00"))
    _insert(old, "outbox", _row(f"<{publication}@example.org>", "general", "pending", "2026-01-20T07:05:00+00:00"))
    old.close()
    with Store.open(path) as store:
        linked = store.conn.execute("select message_id from outbox where gathered_into is not null").fetchall()
        assert sorted(m for (m,) in linked) == sorted(f"<{key}@example.org>" for key in keys.values())
        store.record_check("salary", [], snapshot=fixture_snapshot(2021, ranking="salary"))
        store.conn.execute("update snapshots set fetched_at = '2026-01-20T06:00:00+00:00'")
        store.forget("salary", 2021)
        assert {p.message_id for p in store.pending()} == {f"<{keys[n]}@example.org>" for n in ("general", "digital")}


def test_a_partly_sent_alert_from_before_schema_12_keeps_who_has_it(tmp_path: Path) -> None:
    """Its To minus the addresses still to try are those the server took it for: never sent them again."""
    path = tmp_path / "v11.db"
    old = _at_schema(path, 11)
    row = _row("<partly@example.org>", "general", "pending", "2026-01-20T07:00:00+00:00")
    row |= {"recipients": "c@example.org, dg@example.org", "retry_to": '["dg@example.org"]'}
    _insert(old, "outbox", row)
    _insert(old, "outbox", _row("<unsent@example.org>", "general", "pending", "2026-01-20T07:01:00+00:00"))
    old.close()
    with Store.open(path) as store:
        assert {p.message_id: p.delivered_to for p in store.pending()} == {
            "<partly@example.org>": ("c@example.org",),
            "<unsent@example.org>": (),
        }


def test_a_row_edited_by_hand_does_not_stop_the_schema_12_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "v11.db"
    old = _at_schema(path, 11)
    for n, refused in enumerate(("not json", "null")):
        _insert(old, "outbox", _row(f"<{n}@example.org>", "g", "cancelled", "2026-01-20T07:00:00+00:00") | {
            "retry_to": refused})  # fmt: skip
    old.close()
    with Store.open(path) as store:
        version = store.conn.execute("select value from meta where key = 'schema_version'").fetchone()[0]
        assert version == str(len(MIGRATIONS))


def _at_schema(path: Path, version: int) -> sqlite_utils.Database:
    """A database as a watcher of schema `version` left it."""
    old = sqlite_utils.Database(path)
    for number, migrate in enumerate(MIGRATIONS[:version], start=1):
        migrate(old)
        old.table("meta").upsert({"key": "schema_version", "value": str(number)}, pk="key")
    return old


def _row(message_id: str, ranking: str, status: str, created_at: str) -> dict[str, object]:
    return {"message_id": message_id, "ranking": ranking, "kind": "comms", "created_at": created_at,
        "subject": "IMT", "recipients": "c@example.org", "message": bytes(_mail("x")), "status": status,
        "attempts": 0}  # fmt: skip
