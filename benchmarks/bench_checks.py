"""2–4. In-process checks with watcher.check.run_check: unchanged (304), changed, and the database over time."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from common import (
    RecordingMailer,
    Result,
    StageClock,
    btree_bytes,
    count,
    db_bytes,
    make_config,
    median,
    ms,
    rows,
    verdict,
)
from fixture_site import LIST_PATH, Site

import watcher.check
import watcher.french.chart
import watcher.french.render
import watcher.layouts.engine
import watcher.layouts.school
import watcher.observe
from watcher.check import run_check
from watcher.pages.fetch import Fetcher
from watcher.store.db import Store

# The parsers and the renderers, where check.py imports them from when it needs them (it never holds them itself).
PARSERS = {
    "parse_list_page": (watcher.layouts.engine, "parse_list_page"),
    "parse_school_page": (watcher.layouts.school, "parse_school_page"),
}
TARGET_CPU = 0.005  # per unchanged check with a kept Fetcher, as the daemon runs it

SUMMARY: dict[str, str] = {}  # in-process figures, quoted beside the urlwatch comparison


def _outcomes(results: list[watcher.check.RunResult]) -> str:
    tally = Counter(c.outcome for r in results for c in r.checks)
    return ", ".join(f"{n} {outcome}" for outcome, n in tally.most_common())


def unchanged(site: Site, folder: Path, checks: int) -> list[Result]:
    """2. Checks answered 304: requests, body bytes, parse calls, snapshots, CPU and database growth."""
    results = []
    for year in (2020, 2021):
        site.serve(year)
        database = folder / f"unchanged-{year}.db"
        cfg = make_config(site, database)
        store, mailer = Store.open(database), RecordingMailer()
        with Fetcher(cfg.fetch, cfg.contact) as fetcher:
            run_check(cfg, store=store, fetcher=fetcher, mailer=mailer)  # baseline
            run_check(cfg, store=store, fetcher=fetcher, mailer=mailer)  # first 304 (validators now stored)
            size0, snaps0 = db_bytes(database), count(database, "select count(*) from snapshots")
            btrees0 = btree_bytes(database)
            last_fetch = count(database, "select max(id) from fetches")
            site.reset()
            clock = StageClock()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            with clock.watch(PARSERS):
                runs = [run_check(cfg, store=store, fetcher=fetcher, mailer=mailer) for _ in range(checks)]
            cpu, wall = (time.process_time() - cpu0) / checks, (time.perf_counter() - wall0) / checks
        stats = site.stats()
        fetched = rows(database, "select url, bytes from fetches where id > ?", (last_fetch,))
        urls = sorted({url.removeprefix(site.base) for url, _ in fetched})
        read = sum(size or 0 for _, size in fetched)
        growth = (db_bytes(database) - size0) / checks
        btrees = btree_bytes(database)
        grew = {name: (size - btrees0.get(name, 0)) / checks for name, size in btrees.items()}
        snapshots = count(database, "select count(*) from snapshots") - snaps0
        store.close()
        requests, parses = int(stats["requests"]) / checks, sum(clock.calls.values())
        list_pages = 2 if year == 2021 else 1
        # One conditional request per list page and nothing else: the school's page waits for a change of the
        # list or a day, robots.txt for a day.
        one_each = int(stats["requests"]) == len(fetched) == checks * list_pages and all(
            u.startswith(LIST_PATH) for u in urls
        )
        label = f"{year}: {list_pages} list page{'s' if list_pages > 1 else ''}"
        if year == 2020:
            SUMMARY["unchanged"] = f"{requests:g} requests, {ms(cpu)} CPU, {ms(wall)} wall per check"
        notes = [
            f"2 ({year}): {checks} checks with one Fetcher: {_outcomes(runs)}; statuses {stats['statuses']}; "
            f"{ms(cpu)} CPU, {ms(wall)} wall per check; pages asked: {', '.join(u.rsplit('/', 1)[-1] for u in urls)}",
            f"2 ({year}): growth per check by table/index: "
            + ", ".join(f"{name} {size:.0f} B" for name, size in sorted(grew.items(), key=lambda kv: -kv[1]) if size),
        ]
        results += [
            Result(
                "2",
                f"unchanged check ({label}): requests per check",
                f"{requests:.2f}",
                f"{list_pages} (one per list page)",
                verdict(one_each),
                notes,
            ),
            Result(
                "2",
                f"unchanged check ({label}): CPU per check, one Fetcher kept (as the daemon)",
                ms(cpu),
                f"≤ {ms(TARGET_CPU)}",
                verdict(cpu <= TARGET_CPU),
            ),
            Result(
                "2",
                f"unchanged check ({label}): body bytes read",
                f"{read / checks:.0f} B per check (server sent {int(stats['body_bytes']) / checks:.0f})",
                "0",
                verdict(read == 0),
            ),
            Result(
                "2",
                f"unchanged check ({label}): parse calls, snapshots",
                f"{parses} parses, {snapshots} snapshots in {checks} checks",
                "0, 0",
                verdict(parses == 0 and snapshots == 0),
            ),
            Result(
                "2",
                f"unchanged check ({label}): database growth",
                f"{growth:.0f} B per check",
                "< 1 KB per check",
                verdict(growth < 1024),
            ),
        ]
    return results


def changed(site: Site, folder: Path, repeats: int) -> Result:
    """3. CPU time of one changed check: the 2020 list is the baseline, then the 2021 list (two pages) appears."""
    cpu, wall, stages, alerts = [], [], [], []
    for i in range(repeats):
        site.serve(2020)
        database = folder / f"changed-{i}.db"
        cfg = make_config(site, database)
        store, mailer = Store.open(database), RecordingMailer()
        with Fetcher(cfg.fetch, cfg.contact) as fetcher:
            run_check(cfg, store=store, fetcher=fetcher, mailer=mailer)  # baseline (robots.txt read here)
            site.serve(2021)
            clock = StageClock()
            targets = {
                "fetch": (fetcher, "get"),
                "parse": PARSERS["parse_list_page"],
                "school page": PARSERS["parse_school_page"],
                "assemble": (watcher.observe, "assemble"),
                "decide": (watcher.check, "decide"),
                "chart": (watcher.french.chart, "rank_chart_png"),
                "render": (watcher.french.render, "render_alert"),
                "store": (store, "record_check"),
                "deliver": (watcher.check, "deliver_pending"),
            }
            with clock.watch(targets):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                result = run_check(cfg, store=store, fetcher=fetcher, mailer=mailer)
                cpu.append(time.process_time() - cpu0)
                wall.append(time.perf_counter() - wall0)
        store.close()
        stages.append(clock.summary())
        alerts.append(f"{result.checks[0].outcome}, {len(mailer.messages)} alert(s)")
    worst = max(cpu)
    SUMMARY["changed"] = f"{ms(median(cpu))} CPU, {ms(median(wall))} wall (2020 → 2021)"
    return Result(
        "3",
        "changed check (2020 → 2021, two pages): CPU of fetch+parse+diff+store+render",
        f"{ms(median(cpu))} median, {ms(worst)} worst ({ms(cpu[0])} first; wall {ms(median(wall))})",
        "< 200 ms (worst)",
        verdict(worst < 0.2),
        [
            f"3: {repeats} repeats, each on a fresh database: {alerts[0]}; stages of the first: {stages[0]}",
            f"3: stages of the last: {stages[-1]}",
        ],
    )


def database_size(site: Site, folder: Path, unchanged_checks: int, changes: int) -> Result:
    """4. Database size after many unchanged checks and some changes (alternating editions, revised pages)."""
    database = folder / "history.db"
    site.serve(2019)
    cfg = make_config(site, database)
    store, mailer = Store.open(database), RecordingMailer()
    total = unchanged_checks + changes
    every = total // changes
    per = max(1, (changes + 2) // 3)  # editions never go back: revisions of 2019, then 2020, then 2021
    variants = [(2019, r) for r in range(1, per)] + [(y, r) for y in (2020, 2021) for r in range(per)]
    served, runs = 0, []
    started = time.perf_counter()
    with Fetcher(cfg.fetch, cfg.contact) as fetcher:
        runs.append(run_check(cfg, store=store, fetcher=fetcher, mailer=mailer))  # baseline, 2019
        for i in range(1, total + 1):
            if i % every == 0 and served < min(changes, len(variants)):
                site.serve(*variants[served])
                served += 1
            runs.append(run_check(cfg, store=store, fetcher=fetcher, mailer=mailer))
    store.close()
    size = db_bytes(database)
    tables = {t: count(database, f"select count(*) from {t}") for t in ("fetches", "snapshots", "rows", "outbox")}
    biggest = ", ".join(f"{name} {size / 1e3:.0f} KB" for name, size in list(btree_bytes(database).items())[:6])
    return Result(
        "4",
        f"database after {unchanged_checks} unchanged checks and {changes} changes",
        f"{size / 1e6:.2f} MB ({size:,} B)",
        "< 5 MB",
        verdict(size < 5e6),
        [
            f"4: outcomes {_outcomes(runs)}; rows per table {tables}; {len(mailer.messages)} alerts; "
            f"{time.perf_counter() - started:.1f} s for the {total + 1} checks",
            f"4: largest tables and indexes: {biggest}",
        ],
    )
