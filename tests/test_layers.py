"""The layers of the package (.importlinter): kept now, and broken by each kind of import they forbid."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_are_kept() -> None:
    result = lint(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("news/diff.py", "from watcher import store", "watcher.news.diff -> watcher.store"),
        ("layouts/gate.py", "import httpx", "watcher.layouts.gate -> httpx"),
        ("french/words.py", "from watcher import check", "watcher.french.words -> watcher.check"),
        ("layouts/engine.py", "from watcher.news import rules", "watcher.layouts.engine -> watcher.news.rules"),
        ("store/db.py", "from watcher.pages import fetch", "watcher.store.db -> watcher.pages.fetch"),
        ("mail.py", "from watcher import outbox", "watcher.mail -> watcher.outbox"),
        ("check.py", "from watcher import cli", "watcher.check -> watcher.cli"),
    ],
    ids=["core-reads-database", "core-reads-network", "core-imports-wiring", "stage-runs-backwards",
         "edge-imports-edge", "edge-imports-wiring", "wiring-imports-shell"],
)  # fmt: skip
def test_each_forbidden_import_breaks_them(tmp_path: Path, module: str, line: str, broken: str) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    path = tmp_path / "src" / "watcher" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    result = lint(tmp_path / "src", tmp_path)
    assert result.returncode == 1
    assert broken in " ".join(result.stdout.split()), result.stdout
