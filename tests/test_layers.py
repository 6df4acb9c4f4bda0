"""The layers of the package (.importlinter): kept now, and broken when a pure module imports an edge."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_are_kept() -> None:
    result = lint(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_a_pure_module_importing_the_database_breaks_them(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    diff = tmp_path / "src" / "watcher" / "diff.py"
    diff.write_text(diff.read_text(encoding="utf-8") + "\nfrom . import store  # noqa\n", encoding="utf-8")
    result = lint(tmp_path / "src", tmp_path)
    assert result.returncode == 1
    assert "watcher.diff is not allowed to import watcher.store" in result.stdout
