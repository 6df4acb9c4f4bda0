"""Table records ↔ values: how a row, a snapshot and a ranking's state are kept in SQLite (plain columns, JSON
for the few lists), and the plain SQL that reads and writes such records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from watcher.model import (
    FetchLog,
    FoundList,
    HostMemory,
    Indicator,
    ListLink,
    RankingState,
    Row,
    SchoolPage,
    Snapshot,
)


def select(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """The rows of a query, each a dict by column name (what the `…_from` functions read)."""
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _insert_sql(table: str, columns: Sequence[str], verb: str = "insert") -> str:
    # Quoted: `rows` and `key` are SQL keywords too.
    names = ", ".join(f'"{c}"' for c in columns)
    return f'{verb} into "{table}" ({names}) values ({", ".join("?" * len(columns))})'


def insert(conn: sqlite3.Connection, table: str, record: Mapping[str, object], *, ignore: bool = False) -> int | None:
    """Insert one record (with `ignore`, none if its key is already there); the rowid it was given."""
    sql = _insert_sql(table, list(record), "insert or ignore" if ignore else "insert")
    return conn.execute(sql, list(record.values())).lastrowid


def insert_all(conn: sqlite3.Connection, table: str, records: Iterable[Mapping[str, object]]) -> None:
    """Insert records that all have the same columns."""
    batch = list(records)
    if batch:
        columns = list(batch[0])
        conn.executemany(_insert_sql(table, columns), [[r[c] for c in columns] for r in batch])


def upsert(conn: sqlite3.Connection, table: str, record: Mapping[str, object], key: str) -> None:
    """Insert one record, or update the other columns of the row that already has its `key`."""
    columns = list(record)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != key)
    conn.execute(f'{_insert_sql(table, columns)} on conflict("{key}") do update set {updates}', list(record.values()))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def row_from(r: dict[str, Any]) -> Row:
    return Row(
        rank=r["rank"],
        name=r["name"],
        slug=r["slug"],
        tied=bool(r["tied"]),
        city=r["city"],
        scores=tuple((label, value) for label, value in json.loads(r["scores"])),
        total=r["total"],
        group=r["grp"],
        total_max=r["total_max"],
        score_max=tuple((label, top) for label, top in json.loads(r["score_max"] or "[]")),
        link=r["link"],
    )


def fetch_record(ranking: str, f: FetchLog) -> dict[str, object]:
    return {
        "ranking": ranking,
        "url": f.url,
        "started_at": f.started_at.isoformat(),
        "status": f.status,
        "bytes": f.bytes,
        "duration_ms": f.duration_ms,
        "outcome": f.outcome,
        "error": f.error,
    }


def row_record(snapshot_id: int | None, position: int, r: Row) -> dict[str, object]:
    return {
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


def snapshot_record(snapshot: Snapshot) -> dict[str, object]:
    return {
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


def school_page_record(page: SchoolPage) -> dict[str, object]:
    return {
        "slug": page.slug,
        "url": page.url,
        "name": page.name,
        "edition": page.edition,
        "fetched_at": page.fetched_at.isoformat(),
        "content_hash": page.content_hash,
    }


def indicator_record(page_id: int | None, position: int, i: Indicator) -> dict[str, object]:
    return {
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


def snapshot_from(record: dict[str, Any], rows: tuple[Row, ...]) -> Snapshot:
    return Snapshot(
        ranking=record["ranking"],
        url=record["url"],
        edition=record["edition"],
        rows=rows,
        fetched_at=datetime.fromisoformat(record["fetched_at"]),
        pages=tuple(json.loads(record["pages"])),
        content_hash=record["content_hash"],
        origin=record["origin"],
        ranks_derived=bool(record["ranks_derived"]),
        layout=record["layout"],
    )


def state_from(r: dict[str, Any]) -> RankingState:
    return RankingState(
        ranking=r["ranking"],
        failures=r["failures"],
        failing_since=_time(r["failing_since"]),
        failing_alerted=bool(r["failing_alerted"]),
        stale_alerted=bool(r["stale_alerted"]),
        last_check_at=_time(r["last_check_at"]),
        last_ok_at=_time(r["last_ok_at"]),
        last_change_at=_time(r["last_change_at"]),
        last_error=r["last_error"],
        warning=r["warning"],
        warning_key=r["warning_key"],
        accepted_edition=r["accepted_edition"],
        discovered_at=_time(r.get("discovered_at")),
    )


def state_record(state: RankingState) -> dict[str, Any]:
    return {
        "ranking": state.ranking,
        "failures": state.failures,
        "failing_since": iso(state.failing_since),
        "failing_alerted": int(state.failing_alerted),
        "stale_alerted": int(state.stale_alerted),
        "last_check_at": iso(state.last_check_at),
        "last_ok_at": iso(state.last_ok_at),
        "last_change_at": iso(state.last_change_at),
        "last_error": state.last_error,
        "warning": state.warning,
        "warning_key": state.warning_key,
        "accepted_edition": state.accepted_edition,
        "discovered_at": iso(state.discovered_at),
    }


def host_from(r: dict[str, Any]) -> HostMemory:
    return HostMemory(
        host=r["host"],
        not_before=_time(r["not_before"]),
        robots=r["robots"],
        robots_status=r["robots_status"],
        robots_fetched_at=_time(r["robots_fetched_at"]),
        crawl_delay=r["crawl_delay"],
    )


def host_record(host: HostMemory) -> dict[str, Any]:
    return {
        "host": host.host,
        "not_before": iso(host.not_before),
        "robots": host.robots,
        "robots_status": host.robots_status,
        "robots_fetched_at": iso(host.robots_fetched_at),
        "crawl_delay": host.crawl_delay,
    }


def found_list_record(found: FoundList) -> dict[str, object]:
    """A found list as its row of `found_lists`."""
    return {
        "url": found.link.url,
        "parent": found.parent,
        "name": found.name,
        "link_text": found.link.name,
        "kind": found.link.kind,
        "found_at": found.found_at.isoformat(),
        "gone_at": iso(found.gone_at),
    }


def found_list_from(r: dict[str, Any]) -> FoundList:
    """A row of `found_lists` as the value a check uses."""
    link = ListLink(r["url"], r["link_text"], r["kind"])
    return FoundList(link, r["parent"], r["name"], datetime.fromisoformat(r["found_at"]), _time(r["gone_at"]))
