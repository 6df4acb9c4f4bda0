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


def _sample_of(text: str) -> list[str]:
    """The alert as the README shows it: the address of the site and the time of reading aside."""
    lines = []
    # The README shows plain spaces where the email has French narrow no-break ones.
    for line in text.replace("\u202f", " ").strip().splitlines():
        if line.startswith("Source : "):
            line = re.sub(r"https?://[^/]+", "SITE", line.split(" — ")[0])
        lines.append(line.rstrip())
    return lines


def test_the_readme_sample_is_what_the_demo_writes(tmp_path: Path, capsys) -> None:
    from email import message_from_bytes

    from watcher.demo import run_demo
    from watcher.model import EMAIL_POLICY

    assert run_demo(tmp_path) == 0
    capsys.readouterr()
    message = message_from_bytes((tmp_path / "alert-1.eml").read_bytes(), policy=EMAIL_POLICY)
    body = message.get_body(("plain",))
    assert body is not None
    written = f"Subject: {message['Subject']}\n\n" + body.get_content().split("\n-- \n")[0]
    shown = README[README.index("```text\nSubject:") + len("```text\n") :]
    shown = shown[: shown.index("```")]
    assert _sample_of(shown) == _sample_of(written), "paste the demo's alert (`watcher demo`) into the README"
