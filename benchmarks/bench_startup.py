"""6. Start-up time of the `watcher --help` console script, and what it imports when that is slow."""

from __future__ import annotations

import re
import subprocess
import time

from common import BIN, Result, median, ms, verdict

TARGET = 0.100
HEAVY = ("bs4", "lxml", "httpx", "pydantic", "sqlite_utils", "jinja2", "apscheduler", "PIL", "stamina")


def _wall(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def heavy_imports() -> list[str]:
    """From `python -X importtime -m watcher.cli --help`: heavy packages (at any depth), then the slowest top level."""
    cmd = [str(BIN / "python"), "-X", "importtime", "-m", "watcher.cli", "--help"]
    err = subprocess.run(cmd, capture_output=True, text=True, check=False).stderr
    entries = []  # (cumulative µs, nesting depth, module)
    for line in err.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)", line)
        if match:
            entries.append((int(match.group(1)), (len(match.group(2)) - 1) // 2, match.group(3)))
    heavy = sorted((e for e in entries if e[2] in HEAVY), reverse=True)
    top = sorted((e for e in entries if e[1] == 0 and e[2] not in HEAVY), reverse=True)[:5]
    return [f"{name} {us / 1000:.0f} ms" for us, _, name in heavy + top]


def run(runs: int) -> Result:
    watcher_bin = str(BIN / "watcher")
    python = str(BIN / "python")
    _wall([watcher_bin, "--help"])  # warm the file cache
    times, bare = [], []
    for _ in range(runs):
        times.append(_wall([watcher_bin, "--help"]))
        bare.append(_wall([python, "-c", "pass"]))
    took = median(times)
    notes = [f"6: median of {runs} runs; a bare `python -c pass` takes {ms(median(bare))} here"]
    if took >= TARGET:
        notes.append("6: slow imports at `watcher --help`: " + ", ".join(heavy_imports()[:8]))
    return Result(
        "6", "`watcher --help` start-up (console script)", ms(took), "< 100 ms", verdict(took < TARGET), notes
    )
