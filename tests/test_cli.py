"""The `watcher` console script as a user runs it: real processes, exit codes, what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes
from importlib.metadata import version
from pathlib import Path

import pytest

from watcher.model import EMAIL_POLICY

from .conftest import FIXTURES, Site, SmtpServer, plain

WATCHER = [sys.executable, "-m", "watcher.cli"]


def watcher(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WATCHER, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_help_lists_every_command() -> None:
    result = watcher("--help")
    assert result.returncode == 0
    for command in ("check", "history", "parse", "demo"):
        assert command in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    assert watcher("frobnicate").returncode == 2


def test_missing_config_exits_2_and_says_what_to_do(tmp_path: Path) -> None:
    result = watcher("--config", str(tmp_path / "nope.toml"), "check")
    assert result.returncode == 2
    assert "No config file" in result.stderr and "--config" in result.stderr


def test_parse_reads_a_split_list_from_saved_pages() -> None:
    result = watcher(
        "parse", str(FIXTURES / "palmares-general-2021.html"), str(FIXTURES / "palmares-general-2021-page2.html")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Layout palmares-table: edition 2021, 168 schools read from 2 page(s)"
    imt = next(line for line in result.stdout.splitlines() if "IMT Mines Alès" in line)
    assert imt.split()[:2] == ["27e", "A"] and "43,5" in imt and "imt-mines-ales" in imt
    assert "4e ex aequo" in result.stdout


def test_parse_of_one_page_of_a_split_list_is_refused() -> None:
    result = watcher("parse", str(FIXTURES / "palmares-general-2021.html"))
    assert result.returncode == 1
    assert "the list goes on at" in result.stderr and "?page=2" in result.stderr


def test_parse_of_a_changed_layout_is_refused() -> None:
    result = watcher("parse", str(FIXTURES / "refused" / "layout-changed.html"))
    assert result.returncode == 1
    assert "no known layout fits this page" in result.stderr


def test_demo_runs_offline_and_saves_the_alert(tmp_path: Path) -> None:
    result = watcher("demo", "--output", "out", cwd=tmp_path)  # a relative folder, as in the README
    assert result.returncode == 0, result.stderr
    assert "baseline" in result.stdout and "not-modified" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alert-1.eml", "demo.db", "report.html"]
    emails = sorted((tmp_path / "out").glob("*.eml"))
    assert len(emails) == 1
    message = plain(message_from_bytes(emails[0].read_bytes(), policy=EMAIL_POLICY))
    assert message["Subject"] == "IMT Mines Alès : 15e (+6 places) au Classement des écoles d'ingénieurs 2026"
    # The alert is on today's layout; its history began in the old one.
    text = message.get_body(("plain",)).get_content()
    assert "2020 : 33e, 2021 : 27e, 2022 à 2024 : pas de relevé, 2025 : 21e, 2026 : 15e" in text
    assert "points sur 119" in text and "rangs déduits de l'ordre de la liste" in text
    assert "(palmares-table)" in result.stdout


def test_parse_tries_the_configs_own_layout_and_says_why_the_others_do_not_fit(tmp_path: Path) -> None:
    page = tmp_path / "saved.html"
    items = "".join(f'<li class="r"><h3>École {i}</h3><b class="n">{90 - i}/100</b></li>' for i in range(1, 13))
    page.write_text(f"<html><body><h1>Classement 2027 des écoles</h1><ol>{items}</ol></body></html>", "utf-8")
    refused = watcher("parse", str(page), cwd=tmp_path)
    assert refused.returncode == 1
    assert (
        "classements-cards: nothing matches" in refused.stderr and "palmares-table: nothing matches" in refused.stderr
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[school]\nname = "École 3"\n[[rankings]]\nname = "C"\nurl = "https://www.letudiant.fr/classements/x.html"\n'
        '[email]\nto = ["a@example.org"]\nfrom = "b@example.org"\n'
        '[[layouts]]\nname = "new"\nmatch = "ol li.r"\nrow = "li.r"\nschool = "h3"\ntotal = ".n"\nedition = "h1"\n',
        encoding="utf-8",
    )
    read = watcher("--config", str(config), "parse", str(page), "--layout", "new", cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    lines = read.stdout.splitlines()
    assert lines[:2] == [
        "Layout new: edition 2027, 12 schools read from 1 page(s)",
        "Ranks derived from the list order (the page shows none)",
    ]
    assert "École 1" in lines[2] and "89/100" in lines[2]


def test_python_dash_m_watcher_is_the_command() -> None:
    result = subprocess.run([sys.executable, "-m", "watcher", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "capture" in result.stdout


def test_the_package_exports_what_a_python_user_needs() -> None:
    import watcher

    assert issubclass(watcher.ParseRefused, watcher.WatcherError) and issubclass(watcher.Busy, watcher.WatcherError)
    config = watcher.load_config(FIXTURES.parent / "config.toml")
    assert isinstance(config, watcher.Config) and callable(watcher.run_once)


def test_version_is_the_installed_packages() -> None:
    result = watcher("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"watcher {version('watcher')}"


def test_config_is_accepted_after_the_command_too(tmp_path: Path) -> None:
    before = watcher("--config", str(tmp_path / "before.toml"), "status", cwd=tmp_path)
    after = watcher("status", "--config", str(tmp_path / "after.toml"), cwd=tmp_path)
    assert (before.returncode, after.returncode) == (2, 2)
    assert f"No config file at {tmp_path / 'before.toml'}." in before.stderr
    assert f"No config file at {tmp_path / 'after.toml'}." in after.stderr


def test_a_config_after_the_command_wins_and_none_there_keeps_the_one_before(tmp_path: Path) -> None:
    both = watcher("--config", str(tmp_path / "a.toml"), "check", "--config", str(tmp_path / "b.toml"), cwd=tmp_path)
    assert f"No config file at {tmp_path / 'b.toml'}." in both.stderr
    # cwd has no config.toml: losing the first --config would say "No config file at config.toml".
    only_before = watcher("--config", str(tmp_path / "a.toml"), "history", cwd=tmp_path)
    assert f"No config file at {tmp_path / 'a.toml'}." in only_before.stderr


def test_verbose_shows_watchers_lines_and_the_http_librarys_only_when_doubled(
    site: Site, smtp: SmtpServer, write_config
) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    once = watcher("-v", "check", "--config", str(config), cwd=config.parent)
    assert once.returncode == 0, once.stderr
    assert f"DEBUG watcher.cli: config {config}: IMT Mines Alès, 1 ranking(s)" in once.stderr
    assert " httpx:" not in once.stderr and " httpcore" not in once.stderr
    after = watcher("check", "-v", "--config", str(config), cwd=config.parent)  # -v after the command too
    assert "DEBUG watcher.cli: config" in after.stderr and " httpcore" not in after.stderr
    twice = watcher("-vv", "check", "--config", str(config), cwd=config.parent)
    assert twice.returncode == 0, twice.stderr
    assert "DEBUG httpcore." in twice.stderr and "DEBUG watcher.cli: config" in twice.stderr
    quiet = watcher("check", "--config", str(config), cwd=config.parent)
    assert "DEBUG" not in quiet.stderr


@pytest.mark.parametrize("output", ["long", "short"])
def test_a_closed_stdout_ends_quietly(tmp_path: Path, output: str) -> None:
    if output == "long":  # written while the command runs
        args = [
            "parse",
            str(FIXTURES / "palmares-general-2021.html"),
            str(FIXTURES / "palmares-general-2021-page2.html"),
        ]
    else:  # one line, still in Python's buffer when the command returns
        config = tmp_path / "config.toml"
        config.write_text(
            '[school]\nname = "X"\n[[rankings]]\nname = "C"\nurl = "https://example.org/"\n'
            '[email]\nto = ["a@example.org"]\nfrom = "b@example.org"\n',
            encoding="utf-8",
        )
        args = ["status", "--config", str(config)]
    reader, writer = os.pipe()
    os.close(reader)  # like `| head` that has already exited: every write fails
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as usual
    try:
        result = subprocess.run(
            [*WATCHER, *args], stdout=writer, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=buffered, timeout=120
        )
    finally:
        os.close(writer)
    assert result.returncode == 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe
    assert result.stderr == ""
