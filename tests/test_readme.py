"""The README documents every subcommand, and its commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from watcher.cli import COMMANDS, HANDLERS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_subcommand_is_documented() -> None:
    assert set(COMMANDS) == set(HANDLERS)
    for command in COMMANDS:
        assert re.search(rf"^\| `watcher {command}\b", README, re.MULTILINE), f"watcher {command} is not in README"


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"^```\n(.*?)\n```", README, re.MULTILINE | re.DOTALL)
    test_command = next(line for block in blocks for line in block.splitlines() if "pytest" in line)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
