"""The SQLite database: fetch log, HTTP validators, snapshots, rows, outbox.

Plain tables any SQLite tool can read. The everyday reads and writes are plain SQL through `sqlite3`; sqlite-utils
creates and migrates the schema (`schema_version` in the `meta` table says which migrations ran), and is loaded only
then, or for `Store.db`: its imports cost a check of unchanged pages a tenth of its time. Everything one check writes
goes through `Store.record_check`, in one transaction: a check cut off half-way leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.errors import StoreError
from watcher.model import (
    FetchLog,
    FoundList,
    HostMemory,
    Indicator,
    Known,
    PageAsk,
    RankingState,
    Row,
    SchoolPage,
    Snapshot,
    Validators,
    Value,
)
from watcher.news.series import previous_check, renames
from watcher.store.outbox import OutboxTable
from watcher.store.records import (
    fetch_record,
    found_list_from,
    found_list_record,
    host_from,
    host_record,
    indicator_record,
    insert,
    insert_all,
    row_from,
    row_record,
    school_page_record,
    select,
    snapshot_from,
    snapshot_record,
    state_from,
    state_record,
    upsert,
)
from watcher.store.schema import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils


# What a check without history reads at every check, decoded once per process (the daemon's): (database,
# ranking) → the rows of its last checked list; database → the last page kept of each school. Each with what marks
# it (ids, hashes, times read), so that a list or a page forgotten, or replaced under the same id, is read again.
_LAST_ROWS: dict[tuple[str, str], tuple[tuple[object, ...], tuple[Row, ...]]] = {}
_LAST_PAGES: dict[str, tuple[tuple[object, ...], tuple[SchoolPage, ...]]] = {}


class Store(OutboxTable):
    """The project's database; open it with `Store.open(path)`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating and migrating when needed) the database at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # No implicit transactions: `_reading` and `_writing` say where each begins and ends.
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")  # readers (history, status) never wait for a check
            conn.execute("PRAGMA foreign_keys=ON")
            store = cls(conn, path)
            store._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the database {path}: {exc}. Check the path and its permissions.") from exc
        return store

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection through sqlite-utils, for the migrations and the tests."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = 0
        if self.conn.execute("select name from sqlite_master where type = 'table' and name = 'meta'").fetchone():
            found = self.conn.execute("select value from meta where key = 'schema_version'").fetchone()
            version = int(found[0]) if found else 0
        if version > len(MIGRATIONS):
            raise StoreError(
                f"The database {self.path} was written by a newer watcher (schema {version}); upgrade watcher."
            )
        for number, migrate in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                migrate(self.db)
                self.db.table("meta").upsert({"key": "schema_version", "value": str(number)}, pk="key")

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        try:
            # IMMEDIATE: a write lock from the start, waited for (timeout) rather than refused at the first write
            # when another process wrote since this transaction began to read.
            with self._transaction("BEGIN IMMEDIATE"):
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot write {what} to the database {self.path}: {exc}.") from exc

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        if self.conn.in_transaction:  # a read within a write: part of it, undone with it
            yield
            return
        self.conn.execute(begin)
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:  # some errors end the transaction themselves
                self.conn.execute("ROLLBACK")
            raise

    # Reading

    def known(self, ranking: str, *, history: bool = True) -> Known:
        """Everything a check of `ranking` needs, read in one transaction (a consistent view under WAL); without
        `history`, of the snapshots only the last checked (`Known.history`)."""
        with self._reading(f"what is known of {ranking!r}"):
            validators = {
                url: Validators(url, etag, modified)
                for url, etag, modified in self.conn.execute("select url, etag, last_modified from validators")
            }
            return Known(
                ranking=ranking,
                snapshots=tuple(self._snapshots(ranking) if history else self._last_checked(ranking)),
                history=history,
                validators=validators,
                school_pages=tuple(self._school_pages() if history else self._last_pages()),
                state=self._state(ranking),
                asks={
                    url: PageAsk(url, datetime.fromisoformat(at), status, warning)
                    for url, at, status, warning in self.conn.execute(
                        "select url, asked_at, status, warning from school_page_asks"
                    )
                },
                lists=tuple(self._found_lists(ranking)),
                found=self.conn.execute("select 1 from found_lists where name = ? limit 1", [ranking]).fetchone()
                is not None,
            )

    def found_lists(self, parent: str | None = None) -> list[FoundList]:
        """The lists found linked from a ranking's page (from every ranking's without `parent`), in finding order."""
        with self._reading("the lists found"):
            return self._found_lists(parent)

    def _found_lists(self, parent: str | None) -> list[FoundList]:
        where, params = ("where parent = ?", [parent]) if parent is not None else ("", [])
        return [
            found_list_from(r) for r in select(self.conn, f"select * from found_lists {where} order by rowid", params)
        ]

    def snapshots(self, ranking: str) -> list[Snapshot]:
        """Every snapshot of a ranking, in the order they were recorded."""
        with self._reading(f"the snapshots of {ranking!r}"):
            return self._snapshots(ranking)

    def hosts(self) -> list[HostMemory]:
        """What each host asked of us (Retry-After, robots.txt), for the fetcher of the next run."""
        with self._reading("what the hosts asked"):
            return [host_from(r) for r in select(self.conn, "select * from hosts")]

    def rankings(self) -> list[str]:
        """The names of the rankings that have a snapshot."""
        with self._reading("the rankings"):
            return [r[0] for r in self.conn.execute("select distinct ranking from snapshots order by ranking")]

    def state(self, ranking: str) -> RankingState:
        """What the last checks of `ranking` said."""
        with self._reading(f"the state of {ranking!r}"):
            return self._state(ranking)

    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        try:
            with self._transaction("BEGIN"):  # one consistent view under WAL
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot read {what} from the database {self.path}: {exc}.") from exc

    def _snapshots(self, ranking: str) -> list[Snapshot]:
        records = select(self.conn, "select * from snapshots where ranking = ? order by id", [ranking])
        rows: dict[int, list[Row]] = {r["id"]: [] for r in records}
        query = (
            "select rows.* from rows join snapshots on snapshots.id = rows.snapshot_id "
            "where snapshots.ranking = ? order by rows.snapshot_id, rows.position"
        )
        for r in select(self.conn, query, [ranking]):
            rows[r["snapshot_id"]].append(row_from(r))
        return [snapshot_from(record, tuple(rows[record["id"]])) for record in records]

    def _last_checked(self, ranking: str) -> list[Snapshot]:
        records = select(self.conn, "select * from snapshots where ranking = ? order by id", [ranking])
        bare = [(snapshot_from(record, ()), record) for record in records]  # to choose by, never handed on
        last = previous_check(s for s, _ in bare)
        if last is None:
            return []
        record = next(r for s, r in bare if s is last)
        # A list's rows never change once written: the daemon decodes the last one once, not at every check.
        key, mark = (str(self.path), ranking), (record["id"], record["content_hash"], record["fetched_at"])
        kept = _LAST_ROWS.get(key)
        if kept is None or kept[0] != mark:
            query = "select * from rows where snapshot_id = ? order by position"
            kept = _LAST_ROWS[key] = (mark, tuple(row_from(r) for r in select(self.conn, query, [record["id"]])))
        return [snapshot_from(record, kept[1])]

    def _last_pages(self) -> tuple[SchoolPage, ...]:
        query = "select * from school_pages where id in (select max(id) from school_pages group by slug) order by id"
        records = select(self.conn, query)
        mark = tuple((r["id"], r["content_hash"], r["fetched_at"]) for r in records)
        kept = _LAST_PAGES.get(str(self.path))
        if kept is None or kept[0] != mark:  # a page's indicators never change once written: decoded once
            ids = ", ".join(str(r["id"]) for r in records)
            kept = _LAST_PAGES[str(self.path)] = (mark, tuple(self._pages(records, f"where page_id in ({ids})")))
        return kept[1]

    def _school_pages(self) -> list[SchoolPage]:
        return self._pages(select(self.conn, "select * from school_pages order by id"))

    def _pages(self, records: list[dict[str, Any]], which: str = "") -> list[SchoolPage]:
        indicators: dict[int, list[Indicator]] = {}
        for i in select(self.conn, f"select * from indicators {which} order by page_id, position"):
            value = Value(i["kind"], i["text"], i["low"], i["high"], i["unit"])
            indicators.setdefault(i["page_id"], []).append(Indicator(i["section"], i["label"], value))
        return [
            SchoolPage(
                slug=r["slug"],
                url=r["url"],
                name=r["name"],
                indicators=tuple(indicators.get(r["id"], ())),
                fetched_at=datetime.fromisoformat(r["fetched_at"]),
                edition=r["edition"],
                content_hash=r["content_hash"],
            )
            for r in records
        ]

    def _state(self, ranking: str) -> RankingState:
        found = select(self.conn, "select * from ranking_state where ranking = ?", [ranking])
        return state_from(found[0]) if found else RankingState(ranking)

    # Writing

    def record_check(
        self,
        ranking: str,
        fetches: Sequence[FetchLog],
        *,
        snapshot: Snapshot | None = None,
        validators: Sequence[Validators] = (),
        alerts: Sequence[EmailMessage] = (),
        ops_alerts: Sequence[EmailMessage] = (),
        state: RankingState | None = None,
        school_pages: Sequence[SchoolPage] = (),
        hosts: Sequence[HostMemory] = (),
        asks: Sequence[PageAsk] = (),
        lists: Sequence[FoundList] = (),
        held: Sequence[EmailMessage] = (),
    ) -> None:
        """Everything one check of one ranking learnt, in one transaction. `held` comms alerts wait to be gathered
        with the other lists' of the same publication (`gather`, or `release_held` if the run ends first)."""
        with self._writing(f"the check of {ranking!r}"):
            insert_all(self.conn, "fetches", (fetch_record(ranking, f) for f in fetches))
            if snapshot is not None:
                self._insert_snapshot(snapshot)
            for v in validators:
                upsert(self.conn, "validators", {"url": v.url, "etag": v.etag, "last_modified": v.last_modified}, "url")
            for message in alerts:
                self._enqueue(ranking, "comms", message)
            for message in held:
                self._enqueue(ranking, "comms", message, "held")
            for message in ops_alerts:
                self._enqueue(ranking, "ops", message)
            if state is not None:
                self._save_state(state)
            for page in school_pages:
                self._insert_school_page(page)
            for host in hosts:
                upsert(self.conn, "hosts", host_record(host), "host")
            for ask in asks:
                record = {"url": ask.url, "asked_at": ask.asked_at.isoformat(), "status": ask.status}
                upsert(self.conn, "school_page_asks", {**record, "warning": ask.warning}, "url")
            for found in lists:
                upsert(self.conn, "found_lists", found_list_record(found), "url")

    def _insert_school_page(self, page: SchoolPage) -> None:
        page_id = insert(self.conn, "school_pages", school_page_record(page))
        records = (indicator_record(page_id, position, i) for position, i in enumerate(page.indicators))
        insert_all(self.conn, "indicators", records)

    def _save_state(self, state: RankingState) -> None:
        upsert(self.conn, "ranking_state", state_record(state), "ranking")

    def _insert_snapshot(self, snapshot: Snapshot) -> None:
        snapshot_id = insert(self.conn, "snapshots", snapshot_record(snapshot))
        insert_all(
            self.conn, "rows", (row_record(snapshot_id, position, r) for position, r in enumerate(snapshot.rows))
        )

    # Corrections by the operator

    def adopt_renamed(self, configured: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Give a ranking renamed in the config (same URL) the history kept under its old name; say which."""
        stored = "select distinct ranking, url from snapshots"
        with self._reading("the rankings' names"):  # nearly always nothing to rename: no write, no lock
            if not renames(configured, [(r[0], r[1]) for r in self.conn.execute(stored)]):
                return []
        with self._writing("a renamed ranking"):
            found = renames(configured, [(r[0], r[1]) for r in self.conn.execute(stored)])
            for old, new in found:
                # The lists found on its page follow it, with their own histories ("Old — X" becomes "New — X").
                lists = [
                    (r[0], r[1]) for r in self.conn.execute("select url, name from found_lists where parent = ?", [old])
                ]
                renamed = [(name, new + name[len(old) :]) for _, name in lists if name.startswith(old)]
                self.conn.execute("update found_lists set parent = ? where parent = ?", [new, old])
                for before, after in [(old, new), *renamed]:
                    self.conn.execute("update found_lists set name = ? where name = ?", [after, before])
                    for table in ("snapshots", "outbox", "ranking_state", "fetches"):
                        self.conn.execute(f"update {table} set ranking = ? where ranking = ?", [after, before])
        return found

    def forget(self, ranking: str, edition: int, *, dry_run: bool = False) -> list[Snapshot]:
        """Remove the snapshots of one edition of a ranking (a list recorded by mistake), and the comms alerts not
        yet sent since the first of them; with `dry_run`, only say which snapshots would go."""
        with self._reading(f"the snapshots of {ranking!r}"):
            ids = self.conn.execute(
                "select id, fetched_at from snapshots where ranking = ? and edition = ?", [ranking, edition]
            ).fetchall()
            doomed = [s for s in self._snapshots(ranking) if s.edition == edition]
        if dry_run or not ids:
            return doomed
        # As the outbox writes its times (UTC), so that the two compare as text: a capture may carry another offset.
        first = min(datetime.fromisoformat(at) for _, at in ids).astimezone(UTC).isoformat()
        with self._writing(f"the removal of edition {edition} of {ranking!r}"):
            for snapshot_id, _ in ids:
                self.conn.execute("delete from rows where snapshot_id = ?", [snapshot_id])
                self.conn.execute("delete from snapshots where id = ?", [snapshot_id])
            self._cancel_alerts(ranking, first)
            # Its pages' validators would answer 304 to the next check, and its acceptance would let it in again.
            for url in {page for snapshot in doomed for page in snapshot.pages}:
                self.conn.execute("delete from validators where url = ?", [url])
            self.conn.execute(
                "update ranking_state set accepted_edition = null where ranking = ? and accepted_edition = ?",
                [ranking, edition],
            )
        return doomed

    def _cancel_alerts(self, ranking: str, since: str) -> None:
        """Cancel the comms alerts of `ranking` queued since `since` and not sent. An email that told one of them
        with the other lists of its publication is cancelled too, and those lists' own alerts go instead."""
        told = "ranking = ? and kind = 'comms' and created_at >= ?"
        emails = [  # its own alerts not sent, and the publications' emails that told them (if not sent either)
            r[0]
            for r in self.conn.execute(
                f"select message_id from outbox where {told} and status in ('pending', 'held') union "
                f"select gathered_into from outbox where {told} and status = 'gathered' and gathered_into is not null",
                [ranking, since, ranking, since],
            )
        ]
        for message_id in emails:
            # Held ones too: a run that ended before gathering them leaves them for the next to send.
            cancel = "update outbox set status = 'cancelled' where message_id = ? and status in ('pending', 'held')"
            if self.conn.execute(cancel, [message_id]).rowcount:
                members = "where gathered_into = ? and status = 'gathered' and ranking"
                self.conn.execute(f"update outbox set status = 'cancelled' {members} = ?", [message_id, ranking])
                # To whoever the email had not reached yet (all, unless the server refused some of them before).
                self.conn.execute(
                    "update outbox set status = 'pending', "
                    "(retry_to, delivered_to) = (select retry_to, delivered_to from outbox where message_id = ?) "
                    f"{members} != ?",
                    [message_id, message_id, ranking],
                )

    def accept_edition(self, ranking: str, edition: int) -> None:
        """Let the next check take an edition that looked too far ahead to be believed."""
        with self._writing(f"the edition accepted for {ranking!r}"):
            state = replace(self._state(ranking), accepted_edition=edition)
            upsert(self.conn, "ranking_state", state_record(state), "ranking")
