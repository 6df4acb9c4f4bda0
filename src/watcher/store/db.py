"""The SQLite database (through sqlite-utils): fetch log, HTTP validators, snapshots, rows, outbox.

Plain tables any SQLite tool can read. The schema is created and migrated here; `schema_version` in
the `meta` table says which migrations ran. Everything one check writes goes through
`Store.record_check`, in one transaction: a check cut off half-way leaves the database as it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import sqlite_utils

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
from watcher.news.series import renames
from watcher.store.outbox import OutboxTable
from watcher.store.records import (
    found_list_from,
    found_list_record,
    host_from,
    host_record,
    row_from,
    snapshot_from,
    state_from,
    state_record,
)
from watcher.store.schema import MIGRATIONS


class Store(OutboxTable):
    """The project's database; open it with `Store.open(path)`."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating and migrating when needed) the database at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30)
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA journal_mode=WAL")  # readers (history, status) never wait for a check
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, path)
            store._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the database {path}: {exc}. Check the path and its permissions.") from exc
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = 0
        if "meta" in self.db.table_names():
            found = self.db.execute("select value from meta where key = 'schema_version'").fetchone()
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
            with self.db.atomic():
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot write {what} to the database {self.path}: {exc}.") from exc

    # Reading

    def known(self, ranking: str) -> Known:
        """Everything a check of `ranking` needs, read in one transaction (a consistent view under WAL)."""
        with self._reading(f"what is known of {ranking!r}"):
            validators = {
                r["url"]: Validators(r["url"], r["etag"], r["last_modified"]) for r in self.db.table("validators").rows
            }
            return Known(
                ranking=ranking,
                snapshots=tuple(self._snapshots(ranking)),
                validators=validators,
                school_pages=tuple(self._school_pages()),
                state=self._state(ranking),
                asks={
                    r["url"]: PageAsk(r["url"], datetime.fromisoformat(r["asked_at"]), r["status"], r["warning"])
                    for r in self.db.table("school_page_asks").rows
                },
                lists=tuple(self._found_lists(ranking)),
                found=self.db.table("found_lists").count_where("name = ?", [ranking]) > 0,
            )

    def found_lists(self, parent: str | None = None) -> list[FoundList]:
        """The lists found linked from a ranking's page (from every ranking's without `parent`), in finding order."""
        with self._reading("the lists found"):
            return self._found_lists(parent)

    def _found_lists(self, parent: str | None) -> list[FoundList]:
        where, params = ("parent = ?", [parent]) if parent is not None else (None, [])
        return [found_list_from(r) for r in self.db.table("found_lists").rows_where(where, params, order_by="rowid")]

    def snapshots(self, ranking: str) -> list[Snapshot]:
        """Every snapshot of a ranking, in the order they were recorded."""
        with self._reading(f"the snapshots of {ranking!r}"):
            return self._snapshots(ranking)

    def hosts(self) -> list[HostMemory]:
        """What each host asked of us (Retry-After, robots.txt), for the fetcher of the next run."""
        with self._reading("what the hosts asked"):
            return [host_from(r) for r in self.db.table("hosts").rows]

    def rankings(self) -> list[str]:
        """The names of the rankings that have a snapshot."""
        with self._reading("the rankings"):
            return [r[0] for r in self.db.execute("select distinct ranking from snapshots order by ranking")]

    def state(self, ranking: str) -> RankingState:
        """What the last checks of `ranking` said."""
        with self._reading(f"the state of {ranking!r}"):
            return self._state(ranking)

    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        try:
            with self.db.atomic():
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot read {what} from the database {self.path}: {exc}.") from exc

    def _snapshots(self, ranking: str) -> list[Snapshot]:
        records = list(self.db.table("snapshots").rows_where("ranking = ?", [ranking], order_by="id"))
        rows: dict[int, list[Row]] = {r["id"]: [] for r in records}
        query = (
            "select rows.* from rows join snapshots on snapshots.id = rows.snapshot_id "
            "where snapshots.ranking = ? order by rows.snapshot_id, rows.position"
        )
        for r in self.db.query(query, [ranking]):
            rows[r["snapshot_id"]].append(row_from(r))
        return [snapshot_from(record, tuple(rows[record["id"]])) for record in records]

    def _school_pages(self) -> list[SchoolPage]:
        indicators: dict[int, list[Indicator]] = {}
        for i in self.db.query("select * from indicators order by page_id, position"):
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
            for r in self.db.table("school_pages").rows_where(order_by="id")
        ]

    def _state(self, ranking: str) -> RankingState:
        found = list(self.db.table("ranking_state").rows_where("ranking = ?", [ranking]))
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
            self.db.table("fetches").insert_all(
                [
                    {
                        "ranking": ranking,
                        "url": f.url,
                        "started_at": f.started_at.isoformat(),
                        "status": f.status,
                        "bytes": f.bytes,
                        "duration_ms": f.duration_ms,
                        "outcome": f.outcome,
                        "error": f.error,
                    }
                    for f in fetches
                ]
            )
            if snapshot is not None:
                self._insert_snapshot(snapshot)
            for v in validators:
                self.db.table("validators").upsert(
                    {"url": v.url, "etag": v.etag, "last_modified": v.last_modified}, pk="url"
                )
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
                self.db.table("hosts").upsert(host_record(host), pk="host")
            for ask in asks:
                record = {"url": ask.url, "asked_at": ask.asked_at.isoformat(), "status": ask.status}
                self.db.table("school_page_asks").upsert({**record, "warning": ask.warning}, pk="url")
            for found in lists:
                self.db.table("found_lists").upsert(found_list_record(found), pk="url")

    def _insert_school_page(self, page: SchoolPage) -> None:
        table = self.db.table("school_pages")
        table.insert(
            {
                "slug": page.slug,
                "url": page.url,
                "name": page.name,
                "edition": page.edition,
                "fetched_at": page.fetched_at.isoformat(),
                "content_hash": page.content_hash,
            }
        )
        page_id = table.last_pk
        self.db.table("indicators").insert_all(
            {
                "page_id": page_id,
                "position": position,
                "section": i.section,
                "label": i.label,
                "kind": i.value.kind,
                "text": i.value.text,
                "low": i.value.low,
                "high": i.value.high,
                "unit": i.value.unit,
            }
            for position, i in enumerate(page.indicators)
        )

    def _save_state(self, state: RankingState) -> None:
        self.db.table("ranking_state").upsert(state_record(state), pk="ranking")

    def _insert_snapshot(self, snapshot: Snapshot) -> None:
        table = self.db.table("snapshots")
        table.insert(
            {
                "ranking": snapshot.ranking,
                "url": snapshot.url,
                "edition": snapshot.edition,
                "fetched_at": snapshot.fetched_at.isoformat(),
                "content_hash": snapshot.content_hash,
                "school_count": snapshot.count,
                "pages": json.dumps(list(snapshot.pages)),
                "origin": snapshot.origin,
                "ranks_derived": int(snapshot.ranks_derived),
                "layout": snapshot.layout,
            }
        )
        snapshot_id = table.last_pk
        self.db.table("rows").insert_all(
            {
                "snapshot_id": snapshot_id,
                "position": position,
                "rank": r.rank,
                "tied": int(r.tied),
                "name": r.name,
                "slug": r.slug,
                "city": r.city,
                "total": r.total,
                "grp": r.group,
                "scores": json.dumps(r.scores, ensure_ascii=False),
                "total_max": r.total_max,
                "score_max": json.dumps(r.score_max, ensure_ascii=False) if r.score_max else None,
                "link": r.link,
            }
            for position, r in enumerate(snapshot.rows)
        )

    # Corrections by the operator

    def adopt_renamed(self, configured: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Give a ranking renamed in the config (same URL) the history kept under its old name; say which."""
        with self._writing("a renamed ranking"):
            stored = [(r[0], r[1]) for r in self.db.execute("select distinct ranking, url from snapshots")]
            found = renames(configured, stored)
            for old, new in found:
                # The lists found on its page follow it, with their own histories ("Old — X" becomes "New — X").
                lists = [
                    (r[0], r[1]) for r in self.db.execute("select url, name from found_lists where parent = ?", [old])
                ]
                renamed = [(name, new + name[len(old) :]) for _, name in lists if name.startswith(old)]
                self.db.execute("update found_lists set parent = ? where parent = ?", [new, old])
                for before, after in [(old, new), *renamed]:
                    self.db.execute("update found_lists set name = ? where name = ?", [after, before])
                    for table in ("snapshots", "outbox", "ranking_state", "fetches"):
                        self.db.execute(f"update {table} set ranking = ? where ranking = ?", [after, before])
        return found

    def forget(self, ranking: str, edition: int, *, dry_run: bool = False) -> list[Snapshot]:
        """Remove the snapshots of one edition of a ranking (a list recorded by mistake), and the comms alerts not
        yet sent since the first of them; with `dry_run`, only say which snapshots would go."""
        with self._reading(f"the snapshots of {ranking!r}"):
            ids = [
                (r["id"], r["fetched_at"])
                for r in self.db.table("snapshots").rows_where("ranking = ? and edition = ?", [ranking, edition])
            ]
            doomed = [s for s in self._snapshots(ranking) if s.edition == edition]
        if dry_run or not ids:
            return doomed
        first = min(at for _, at in ids)
        with self._writing(f"the removal of edition {edition} of {ranking!r}"):
            for snapshot_id, _ in ids:
                self.db.execute("delete from rows where snapshot_id = ?", [snapshot_id])
                self.db.execute("delete from snapshots where id = ?", [snapshot_id])
            self.db.execute(
                "update outbox set status = 'cancelled' where ranking = ? and kind = 'comms' and status = 'pending' "
                "and created_at >= ?",
                [ranking, first],
            )
            # Its pages' validators would answer 304 to the next check, and its acceptance would let it in again.
            for url in {page for snapshot in doomed for page in snapshot.pages}:
                self.db.execute("delete from validators where url = ?", [url])
            self.db.execute(
                "update ranking_state set accepted_edition = null where ranking = ? and accepted_edition = ?",
                [ranking, edition],
            )
        return doomed

    def accept_edition(self, ranking: str, edition: int) -> None:
        """Let the next check take an edition that looked too far ahead to be believed."""
        with self._writing(f"the edition accepted for {ranking!r}"):
            state = replace(self._state(ranking), accepted_edition=edition)
            self.db.table("ranking_state").upsert(state_record(state), pk="ranking")
