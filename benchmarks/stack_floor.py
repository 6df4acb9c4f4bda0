"""The floor under line 5: what the stack alone costs per check, with none of watcher's own code.

`python benchmarks/stack_floor.py JOBS URL...` runs, in this process, what the daemon's unchanged check cannot do
without: APScheduler 3 (a BackgroundScheduler, one worker thread) firing a job every second; the job asks for
each URL with its ETag through one httpx.Client that keeps no connection (as watcher's, so that a deadline can
cut each one), then opens a SQLite database in WAL mode, reads one table, writes the requests in one
transaction (the default synchronous = FULL) and closes it (as the daemon does at each step). It prints the CPU
time of the whole process per job, in ms, counted over JOBS jobs after five warm-up jobs, read from
/proc/self/stat like line 5.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

WARM_UP = 5


def cpu_ms() -> float:
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main(jobs: int, urls: list[str]) -> None:
    client = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))
    etags = [client.get(url).headers["ETag"] for url in urls]
    done = threading.Semaphore(0)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "floor.db"
        with sqlite3.connect(database) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("create table fetches (url text, status integer, at real)")
        conn.close()

        def job() -> None:
            asked = zip(urls, etags, strict=True)
            statuses = [client.get(url, headers={"If-None-Match": etag}).status_code for url, etag in asked]
            conn = sqlite3.connect(database, isolation_level=None)
            conn.execute("select count(*) from fetches").fetchone()
            conn.execute("BEGIN IMMEDIATE")
            rows = [(url, status, time.time()) for url, status in zip(urls, statuses, strict=True)]
            conn.executemany("insert into fetches values (?, ?, ?)", rows)
            conn.execute("COMMIT")
            conn.close()
            done.release()

        scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)})
        scheduler.add_job(job, "interval", seconds=1)
        scheduler.start()
        for _ in range(WARM_UP):
            done.acquire()
        start = cpu_ms()
        for _ in range(jobs):
            done.acquire()
        print(f"{(cpu_ms() - start) / jobs:.2f}")
        scheduler.shutdown(wait=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
