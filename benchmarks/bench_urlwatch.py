"""7. The same watch done by urlwatch (from PyPI, in its own venv) and by `watcher check`, one process per check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common import BIN, Result, Timed, median, ms, run_timed, verdict, write_toml
from fixture_site import Site

URLWATCH = "urlwatch==2.29"
VENV = Path(__file__).resolve().parent / ".venv-urlwatch"


def install() -> tuple[Path | None, str]:
    """urlwatch's command in its own venv (created once, then reused), or None and why not."""
    command = VENV / "bin" / "urlwatch"
    if not command.exists():
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(VENV)],
            [str(VENV / "bin" / "pip"), "install", "-q", URLWATCH],
        ]
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return None, f"`{' '.join(step[:3])}` failed: {exc}"
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                return None, f"`{' '.join(step[:3])} …` exited {done.returncode}: {last[:160]}"
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return command, version


def _urlwatch_files(folder: Path, site: Site) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "urls.yaml").write_text(f"name: palmares\nurl: {site.list_url}\nfilter:\n  - css: table.c-pmd-table\n")
    (folder / "config.yaml").write_text(
        "report:\n  stdout:\n    enabled: false\n  email:\n    enabled: true\n    from: watcher@example.org\n"
        "    to: communication@example.org\n    method: smtp\n    smtp:\n      host: 127.0.0.1\n"
        f"      port: {site.smtp_port}\n      starttls: false\n      auth: false\n"
    )
    return [
        f"--{name}={folder / file}"
        for name, file in (
            ("urls", "urls.yaml"),
            ("config", "config.yaml"),
            ("hooks", "hooks.py"),
            ("cache", "cache.db"),
        )
    ]


def _measure(
    site: Site, tools: dict[str, list[str]], env: dict[str, str], unchanged: int, changed: int
) -> dict[str, dict[str, list[Timed]]]:
    """Baseline on 2020, `unchanged` runs answered 304, then `changed` runs alternating 2021 and a revised list;
    each tool's runs interleaved with the other's, so that a busy moment of the machine falls on both."""
    site.serve(2020)
    for name, cmd in tools.items():
        first = run_timed(cmd, env)
        if first.returncode != 0:
            raise RuntimeError(f"{name} exited {first.returncode}: {first.stderr.strip()[-200:]}")
    runs: dict[str, dict[str, list[Timed]]] = {name: {"unchanged": [], "changed": []} for name in tools}
    for kind, n in (("unchanged", unchanged), ("changed", changed)):
        for i in range(n):
            if kind == "changed":
                site.serve(2021, revision=2 * i - 1 if i else 0)  # 2021 (new edition), then corrections of page 1
            for name, cmd in tools.items():
                site.reset()
                mails = int(site.stats()["mails"])
                timed = run_timed(cmd, env)
                stats = site.stats()
                timed.requests, timed.mails = int(stats["requests"]), int(stats["mails"]) - mails
                runs[name][kind].append(timed)
    return runs


def run(site: Site, folder: Path, unchanged: int, changed: int, ours_inprocess: dict[str, str]) -> list[Result]:
    command, version = install()
    if command is None:
        return [
            Result("7", "urlwatch comparison", "not run", "comparison", "n/a", [f"7: urlwatch unavailable: {version}"])
        ]
    # Both tools as installed: their modules byte-compiled once (pip compiles urlwatch's; watcher's are compiled by
    # its first run), whatever PYTHONDONTWRITEBYTECODE the shell running the benchmark has.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"HOME": str(folder), "XDG_CONFIG_HOME": str(folder), "XDG_CACHE_HOME": str(folder)}
    tools = {
        "urlwatch": [str(command), *_urlwatch_files(folder / "urlwatch", site)],
        "watcher": [str(BIN / "watcher"), "--config", str(write_toml(folder / "ours", site)), "check"],
    }
    try:
        runs = _measure(site, tools, env, unchanged, changed)
    except (RuntimeError, OSError) as exc:
        return [Result("7", "urlwatch comparison", "not run", "comparison", "n/a", [f"7: {version}: {exc}"])]
    results = []
    for kind in ("unchanged", "changed"):
        theirs, ours = runs["urlwatch"][kind], runs["watcher"][kind]
        (rq_u, cpu_u, wall_u), (rq_o, cpu_o, wall_o) = (
            (median([r.requests for r in rs]), median([r.cpu for r in rs]), median([r.wall for r in rs]))
            for rs in (theirs, ours)
        )
        rows = [
            ("requests per check", rq_u, rq_o, lambda v: f"{v:g}", "1 (one per list page)", rq_o == 1),
            ("CPU per check", cpu_u, cpu_o, ms, "≤ 1.0× urlwatch", cpu_o <= cpu_u),
            ("wall time per check", wall_u, wall_o, ms, None, None),
        ]
        for label, u, o, show, target, ok in rows:
            targeted = kind == "unchanged" and target is not None
            results.append(
                Result(
                    "7",
                    f"`watcher check` vs urlwatch, {kind}: {label}",
                    f"{show(o)} vs {show(u)} = {o / u:.2f}×",
                    target if targeted else "comparison",
                    verdict(bool(ok)) if targeted else "info",
                )
            )
        failed = [r.stderr.strip()[-120:] for r in ours + theirs if r.returncode != 0]
        mails = {name: sum(r.mails for r in runs[name][kind]) for name in tools}
        results[-3].notes.append(
            f"7 ({kind}): medians of {len(theirs)} runs each, interleaved, one process per check as cron would run "
            f"it; emails sent {mails}; in-process watcher with a kept Fetcher: {ours_inprocess.get(kind, 'n/a')}"
            + (f"; failed runs: {failed}" if failed else "")
        )
    results[0].notes.insert(
        0,
        f"7: {version}; urlwatch watches the one URL it is given (page 1 only, it does not follow the list's next "
        "page) and does not read robots.txt; `watcher check` reads robots.txt at most once a day (kept in its "
        "database), every page of the list, and the school's own page when the list changed or once a day",
    )
    return results
