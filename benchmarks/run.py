"""Run watcher's benchmarks and print measured values against their targets: `.venv/bin/python benchmarks/run.py`.

Options: --quick (a run under two minutes: 60 daemon checks, fewer repeats), --checks N (daemon checks, default
500: about eight minutes), --only 1,3 (some measurements only), --strict (exit 1 when a target is missed).
See benchmarks/README.md for what each line means.
"""

from __future__ import annotations

import argparse
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import bench_checks  # benchmarks/ is on sys.path as the script's folder
import bench_daemon
import bench_parse
import bench_startup
import bench_urlwatch
from common import Result
from fixture_site import Site


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{platform.machine()}, {cpu}, Python {platform.python_version()}, watcher {version('watcher')}, "
        f"bs4 {version('beautifulsoup4')}, lxml {version('lxml')}, SQLite {__import__('sqlite3').sqlite_version}"
    )


def table(results: list[Result]) -> str:
    head = ("#", "measurement", "measured", "target", "result")
    rows = [head] + [(r.key, r.what, r.measured, r.target, r.status) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def plan(args: argparse.Namespace, site: Site, folder: Path) -> list[tuple[str, Callable[[], list[Result]]]]:
    """Each measurement, in the order it runs (the long daemon run last)."""
    quick = args.quick
    return [
        ("6", lambda: [bench_startup.run(runs=5 if quick else 11)]),
        ("1", lambda: bench_parse.run(runs=9 if quick else 30)),
        ("2", lambda: bench_checks.unchanged(site, folder, checks=50)),
        ("3", lambda: [bench_checks.changed(site, folder, repeats=3 if quick else 5)]),
        ("4", lambda: [bench_checks.database_size(site, folder, unchanged_checks=1000, changes=20)]),
        (
            "7",
            lambda: bench_urlwatch.run(
                site,
                folder,
                unchanged=3 if quick else 10,
                changed=3 if quick else 6,
                ours_inprocess=bench_checks.SUMMARY,
            ),
        ),
        ("5", lambda: bench_daemon.run(site, folder, checks=args.checks)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run: 60 daemon checks, fewer repeats")
    parser.add_argument("--checks", type=int, default=None, help="daemon checks to run (default 500, --quick 60)")
    parser.add_argument("--only", default="", help="comma-separated measurement numbers, e.g. 1,3")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    args.checks = args.checks or (60 if args.quick else 500)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the daemon and the site are stopped on the way out
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    print(f"watcher benchmarks on {machine()}", flush=True)
    started, results = time.monotonic(), []
    with tempfile.TemporaryDirectory(prefix="watcher-bench-") as tmp, Site() as site:
        for key, measure in plan(args, site, Path(tmp)):
            if only and key not in only:
                continue
            t0 = time.monotonic()
            try:
                found = measure()
            except Exception as exc:  # one broken measurement must not hide the others
                found = [Result(key, "measurement crashed", f"{type(exc).__name__}: {exc}"[:100], "—", "MISS")]
            for result in found:
                print(f"  [{result.key}] {result.what}: {result.measured} ({result.status})", flush=True)
            print(f"      ({time.monotonic() - t0:.0f} s)", flush=True)
            results += found
    order = "1234567"
    results.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))
    print("\n" + table(results) + "\n")
    for note in (note for r in results for note in r.notes):
        print(f"- {note}")
    missed = [r for r in results if r.status == "MISS"]
    print(f"\n{len(missed)} target(s) missed; {time.monotonic() - started:.0f} s in all.")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
