"""Redraw docs/report.png, the README's picture of the report: `.venv/bin/python docs/screenshot.py`.

It runs `watcher demo` (offline) in a temporary folder and photographs the demo's report.html in Debian's
headless `chromium`, 1280 px wide, as a laptop shows it.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from watcher.demo import run_demo

PICTURE = Path(__file__).resolve().parent / "report.png"
WIDTH, HEIGHT = 1280, 1500  # the report's top: the rank, the chart, the ranks by edition, the neighbourhood


def main() -> int:
    """Run the demo, photograph its report into docs/report.png; 1 with the reason when it cannot."""
    chromium = shutil.which("chromium")
    if chromium is None:
        print("error: chromium is not installed: run `apt-get install -y chromium`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="watcher-screenshot-") as tmp:
        folder = Path(tmp)
        narration = io.StringIO()
        with contextlib.redirect_stdout(narration):  # the demo tells its story; only its report is wanted here
            code = run_demo(folder / "demo")
        if code != 0:
            print(f"error: the demo failed:\n{narration.getvalue()[-3000:]}", file=sys.stderr)
            return 1
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",  # as a laptop's overlay scrollbars: the page, not the browser's furniture
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--screenshot={folder / 'report.png'}",
            (folder / "demo" / "report.html").as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0 or not (folder / "report.png").is_file():
            print(f"error: chromium exited {done.returncode}:\n{done.stderr[-3000:]}", file=sys.stderr)
            return 1
        shutil.copyfile(folder / "report.png", PICTURE)  # only a whole new picture replaces the old one
    print(f"Wrote {PICTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
