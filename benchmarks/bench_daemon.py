"""5. Resident memory of `watcher daemon` checking every second against the fixture site (304s, after a warm-up)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from common import BIN, Result, count, verdict, write_toml
from fixture_site import Site

TARGET_MB = 50
MAX_SLOPE_KB = 0.5  # per check: under 5 MB over 10,000 checks (seven months at the busy season's every 30 min)
TARGET_CPU_MS = 5.0  # per unchanged check, everything the daemon does included (scheduler, delivery retries)
FLOOR_JOBS = 120  # jobs of the stack's floor (one a second), fewer with --quick


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_ms(pid: int) -> float | None:
    """CPU time of a process and of the children it has waited for (user + system), in ms."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return sum(int(v) for v in fields[11:15]) * 1000 / os.sysconf("SC_CLK_TCK")


def children_kb(pid: int) -> int:
    """Resident memory of the process's children under way (a changed check's step run apart), summed."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            total += sum(rss_kb(int(child)) or 0 for child in task.read_text().split())
        except OSError:
            continue
    return total


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of RSS (KB) against checks done."""
    n = len(points)
    if n < 2:
        return float("nan")
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")


def run(site: Site, folder: Path, checks: int) -> list[Result]:
    warmup = max(10, checks // 10)
    changes_at = {3: (2021, 0), 6: (2021, 1)}  # in the warm-up: a new edition (alert, chart) and a revision
    site.serve(2020)
    config = write_toml(folder / "daemon", site, 'every = "1s"\njitter_seconds = 0')
    database = folder / "daemon" / "watcher.db"
    log = (folder / "daemon" / "daemon.log").open("w")
    proc = subprocess.Popen([str(BIN / "watcher"), "--config", str(config), "daemon"], stdout=log, stderr=log)
    samples: list[tuple[float, int, int]] = []  # (seconds since start, checks done, RSS KB)
    cpu: list[tuple[int, float]] = []  # (checks done, CPU ms of the daemon and its children so far)
    children: list[int] = []  # RSS KB of the children, when one was seen
    started, deadline = time.monotonic(), time.monotonic() + checks * 2 + 60
    problem = None
    try:
        while True:
            time.sleep(0.5)
            done = count(database, "select count(*) from fetches where url = ?", (site.list_url,))
            rss = rss_kb(proc.pid)
            if proc.poll() is not None or rss is None:
                problem = f"the daemon exited early with code {proc.returncode}"
                break
            samples.append((time.monotonic() - started, done, rss))
            cpu.append((done, cpu_ms(proc.pid) or 0.0))
            if kb := children_kb(proc.pid):
                children.append(kb)
            for at in [at for at in changes_at if done >= at]:
                site.serve(*changes_at.pop(at))
            if done >= checks:
                break
            if time.monotonic() > deadline:
                problem = f"only {done} checks in {deadline - started:.0f} s"
                break
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    result = _results(samples, warmup, checks, proc.returncode, problem, folder / "daemon" / "daemon.log")
    if len(result) < 2:
        return result
    daemon_cpu = _cpu(cpu, warmup, children)
    return result + daemon_cpu + [_floor(site, min(checks, FLOOR_JOBS), daemon_cpu[0])]


def _floor(site: Site, jobs: int, daemon: Result) -> Result:
    """The stack's own cost per check (`stack_floor.py`), beside the daemon's, on the same two pages."""
    site.serve(2021)
    script = Path(__file__).with_name("stack_floor.py")
    done = subprocess.run(
        [str(BIN / "python"), str(script), str(jobs), site.list_url, site.list_url + "?page=2"],
        capture_output=True,
        text=True,
        timeout=jobs * 2 + 60,
    )
    if done.returncode != 0:
        return Result("5", "the stack's floor per check", "not measured", notes=[f"5: floor: {done.stderr[-300:]}"])
    floor = float(done.stdout.strip())
    ours = float(daemon.measured.split()[0])
    return Result(
        "5",
        "the stack's floor per check: APScheduler, 2 bare httpx 304s, one SQLite open/read/write/close",
        f"{floor:.1f} ms (daemon ÷ floor {ours / floor:.2f}×)",
        notes=[
            f"5: floor (benchmarks/stack_floor.py, {jobs} jobs a second apart, whole process): what any daemon on "
            f"this stack pays per unchanged check of a two-page list, with none of watcher's code; "
            f"{'under' if floor <= TARGET_CPU_MS else 'over'} the {TARGET_CPU_MS:g} ms target on this machine"
        ],
    )


def _cpu(cpu: list[tuple[int, float]], warmup: int, children: list[int]) -> list[Result]:
    """CPU per check over the checks after the warm-up (304s only), from the kernel's count of the process."""
    start = next((c for c in cpu if c[0] >= warmup), cpu[-1])
    end = cpu[-1]
    per_check = (end[1] - start[1]) / max(1, end[0] - start[0])
    seen = (
        f"a child (a changed check's reading or drawing, apart) was seen in {len(children)} samples, at most "
        f"{max(children) / 1024:.1f} MB resident (most of it shared with the daemon)"
        if children
        else "no child was under way at a sample"
    )
    return [
        Result(
            "5",
            "daemon CPU per unchanged check (the scheduler and delivery retries included)",
            f"{per_check:.1f} ms",
            f"≤ {TARGET_CPU_MS:g} ms",
            verdict(per_check <= TARGET_CPU_MS),
            [f"5: CPU from /proc/<pid>/stat (the daemon and its children), {end[0] - start[0]} checks; {seen}"],
        )
    ]


def _results(
    samples: list[tuple[float, int, int]], warmup: int, checks: int, rc: int | None, problem: str | None, log: Path
) -> list[Result]:
    if not samples or problem:
        tail = " | ".join(log.read_text(errors="replace").splitlines()[-3:])
        return [
            Result(
                "5", "daemon resident memory", "not measured", f"< {TARGET_MB} MB", "MISS", [f"5: {problem}; {tail}"]
            )
        ]
    first = next((s for s in samples if s[1] >= 1), samples[0])
    after_warmup = next((s for s in samples if s[1] >= warmup), samples[-1])
    end, peak = samples[-1], max(s[2] for s in samples)
    window = [(done, rss) for _, done, rss in samples if done >= warmup]
    per_check = slope(window)
    seconds = end[0] - first[0]
    told = [line for line in log.read_text(errors="replace").splitlines() if " WARNING " in line or " ERROR " in line]
    warnings = len(told)
    # What they said, without the time stamp (the same line twice counts once here).
    said = "; ".join(dict.fromkeys(line.split(" ", 4)[-1][:140] for line in told))
    notes = [
        f"5: {end[1]} checks in {seconds:.0f} s; RSS at start-up {samples[0][2] / 1024:.1f} MB, after the first "
        f"check {first[2] / 1024:.1f} MB, after the warm-up ({warmup} checks, with a new edition and a revision) "
        f"{after_warmup[2] / 1024:.1f} MB, peak {peak / 1024:.1f} MB; {len(samples)} samples",
        f"5: trend = least-squares slope of RSS over the {len(window)} samples after the warm-up (304s only); "
        f"exit code after SIGTERM {rc}; {warnings} WARNING/ERROR lines in the daemon's log"
        + (f": {said}" if said else ""),
    ]
    return [
        Result(
            "5",
            "daemon RSS after the 1st check → end (peak)",
            f"{first[2] / 1024:.1f} → {end[2] / 1024:.1f} MB (peak {peak / 1024:.1f} MB)",
            f"< {TARGET_MB} MB",
            verdict(peak < TARGET_MB * 1024),
            notes,
        ),
        Result(
            "5",
            f"daemon RSS trend over {end[1]} checks (after warm-up)",
            f"{per_check:+.2f} KB per check",
            f"≤ {MAX_SLOPE_KB} KB per check",
            verdict(per_check <= MAX_SLOPE_KB),
        ),
    ]
