"""Table records ↔ values: how a row, a snapshot and a ranking's state are kept in SQLite (plain columns, JSON
for the few lists)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from watcher.model import FoundList, HostMemory, ListLink, RankingState, Row, Snapshot


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
