"""`watcher status` on a real database written by real checks against the local site and SMTP server."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from watcher.cli import main
from watcher.store.db import Store

from .conftest import LIST_PATH, RANKING, Site, SmtpServer, fixture

NEXT = r"Next scheduled check \(under `watcher daemon`\):"


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def status(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = run(config, "status")
    return code, capsys.readouterr().out


def block(out: str) -> list[str]:
    """The lines of the ranking's block, heading first."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(RANKING))
    end = next(i for i, line in enumerate(lines) if line.startswith("Next scheduled check"))
    return lines[start:end]


@pytest.fixture
def config(site: Site, smtp: SmtpServer, write_config) -> Path:
    site.edition(2020)
    return write_config(smtp.port)


def test_all_well_exits_0_and_shows_the_ranking_edition_count_and_database(config: Path, site: Site, capsys) -> None:
    assert run(config, "check") == 0
    code, out = status(config, capsys)
    assert code == 0, out
    assert "NEEDS ATTENTION" not in out
    heading, last_check, last_success, last_change = block(out)
    assert heading == RANKING
    assert re.fullmatch(
        r"  last check:   \d{4}-\d\d-\d\d \d\d:\d\d CES?T \(ok\); edition 2020, 167 schools", last_check
    )
    assert re.fullmatch(r"  last success: \d{4}-\d\d-\d\d \d\d:\d\d CES?T", last_success)
    assert re.fullmatch(r"  last change:  \d{4}-\d\d-\d\d \d\d:\d\d CES?T", last_change)
    assert "Pending alerts: none" in out.splitlines()
    database = config.parent / "watcher.db"
    assert re.search(rf"^Database: {re.escape(str(database))} \(\d+ KiB\)$", out, re.M)

    site.edition(2021)
    assert run(config, "check") == 0
    code, out = status(config, capsys)
    assert code == 0, out
    assert "(ok); edition 2021, 168 schools" in out
    assert "Pending alerts: none" in out


def test_last_check_failed_exits_1_with_the_error(config: Path, site: Site, capsys) -> None:
    assert run(config, "check") == 0
    site.pages[LIST_PATH] = fixture("refused/layout-changed.html")
    assert run(config, "check") == 1
    code, out = status(config, capsys)
    assert code == 1
    heading, last_check, _, _, last_error = block(out)
    assert heading == f"{RANKING}  <-- NEEDS ATTENTION: last 1 check(s) failed"
    assert "(failed); edition 2020, 167 schools" in last_check  # the last good snapshot is still there
    assert last_error.startswith("  last error:   no known layout fits this page")
    assert LIST_PATH in last_error

    assert run(config, "check") == 1
    code, out = status(config, capsys)
    assert code == 1 and "NEEDS ATTENTION: last 2 check(s) failed" in out

    site.edition(2020)
    assert run(config, "check") == 0
    code, out = status(config, capsys)
    assert code == 0, out
    assert "NEEDS ATTENTION" not in out and "last error" not in out


def test_no_database_yet_exits_1_and_says_what_to_run(config: Path, capsys) -> None:
    code, out = status(config, capsys)
    assert code == 1
    assert "No database yet" in out and "watcher check" in out
    assert not (config.parent / "watcher.db").exists()  # status only reads: it creates nothing


def test_never_checked_exits_1(config: Path, capsys) -> None:
    Store.open(config.parent / "watcher.db").close()  # a database, but no check of this ranking yet
    code, out = status(config, capsys)
    assert code == 1
    heading, last_check, last_success, last_change = block(out)
    assert heading == f"{RANKING}  <-- NEEDS ATTENTION: never checked"
    assert "never" in last_check and "no snapshot yet" in last_check
    assert last_success == "  last success: never"
    assert last_change == "  last change:  never"
    assert "Pending alerts: none" in out


def test_pending_alert_is_listed_with_its_subject_and_last_error_while_smtp_is_down(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert run(config, "check") == 0
    smtp.stop()
    site.edition(2021)
    assert run(config, "check") == 0
    code, out = status(config, capsys)
    assert code == 1, out  # an alert that failed to send needs attention…
    assert "NEEDS ATTENTION" not in out  # …though the ranking itself is fine
    lines = out.splitlines()
    at = lines.index("Pending alerts: 1")
    item = lines[at + 1].replace("\u202f", " ")  # the subject as sent, French spacing and all
    subject = "IMT Mines Alès : 27e (+6 places) au Palmarès général des écoles d'ingénieurs 2021"
    assert item.startswith(f"  - [comms] {subject} (queued ")
    assert f"tried 1 time(s), last error: Cannot reach the mail server 127.0.0.1:{smtp.port}" in item
    assert "Pending alerts: none" not in out

    assert run(config, "check") == 0  # still down
    code, out = status(config, capsys)
    assert code == 1 and "tried 2 time(s)" in out

    smtp.start()
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    code, out = status(config, capsys)
    assert code == 0, out
    assert "Pending alerts: none" in out


@pytest.mark.parametrize(
    ("cron", "clock", "weekday", "horizon"),
    [
        ("0 7 * * *", "07:00", None, timedelta(days=1)),
        ("30 6 * * mon", "06:30", 0, timedelta(days=7)),
        ("30 6 * * 1", "06:30", 0, timedelta(days=7)),
        ("0 7 * * 1-5", "07:00", None, timedelta(days=3)),
    ],
)
def test_next_scheduled_check_follows_the_cron(
    site: Site, smtp: SmtpServer, write_config, capsys, cron: str, clock: str, weekday: int | None, horizon: timedelta
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra=f'[schedule]\ncron = "{cron}"\ntimezone = "Europe/Paris"\nseason = false\n')
    assert run(config, "check") == 0
    before = datetime.now(ZoneInfo("Europe/Paris"))
    code, out = status(config, capsys)
    assert code == 0, out
    match = re.search(
        r"^Next scheduled check \(under `watcher daemon`\): (\d{4}-\d\d-\d\d) (\d\d:\d\d) (CET|CEST)$", out, re.M
    )
    assert match, out
    assert match.group(2) == clock
    when = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%Y-%m-%d %H:%M").replace(
        tzinfo=ZoneInfo("Europe/Paris")
    )
    assert match.group(3) == when.tzname()
    assert before < when <= before + horizon + timedelta(minutes=1)
    if weekday is not None:
        assert when.weekday() == weekday


def test_next_scheduled_check_in_another_time_zone(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    config = write_config(
        smtp.port, extra='[schedule]\ncron = "0 7 * * *"\ntimezone = "America/New_York"\nseason = false\n'
    )
    assert run(config, "check") == 0
    code, out = status(config, capsys)
    assert code == 0, out
    assert re.search(
        r"^Next scheduled check \(under `watcher daemon`\): \d{4}-\d\d-\d\d 07:00 (EST|EDT)$", out, re.M
    ), out


def test_no_success_for_stale_after_days_needs_attention(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    # 0.000001 day is 86 ms: the last success is stale almost at once.
    config = write_config(smtp.port, extra="[alerts]\nstale_after_days = 0.000001\n")
    assert run(config, "check") == 0
    time.sleep(0.1)
    code, out = status(config, capsys)
    assert code == 1
    assert f"{RANKING}  <-- NEEDS ATTENTION: no successful check for " in out


def test_the_busy_season_is_shown(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    season = '[schedule]\ncron = "0 7 * * *"\nseason = { months = [11, 12], every = "30m", hours = "7-21" }\n'
    config = write_config(smtp.port, extra=season)
    assert run(config, "check") == 0
    _, out = status(config, capsys)
    assert "  and in the busy season: every 30m from 7 h to 21 h in months 11, 12" in out


def next_check(out: str) -> datetime:
    match = re.search(rf"^{NEXT} (\d{{4}}-\d\d-\d\d \d\d:\d\d) (CET|CEST)$", out, re.M)
    assert match, out
    when = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert match.group(2) == when.tzname()
    return when


def test_the_next_check_is_the_busy_seasons_when_it_comes_first(
    site: Site, smtp: SmtpServer, write_config, capsys
) -> None:
    site.edition(2020)
    # A season of every month and hour, so that it is in force whenever the test runs; the cron alone would
    # say 1 January.
    season = 'season = { months = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], every = "30m", hours = "0-23" }'
    config = write_config(smtp.port, extra=f'[schedule]\ncron = "0 7 1 1 *"\n{season}\n')
    assert run(config, "check") == 0
    before = datetime.now(ZoneInfo("Europe/Paris"))
    code, out = status(config, capsys)
    assert code == 0, out
    when = next_check(out)
    assert when.minute in (0, 30) and before < when <= before + timedelta(minutes=30, seconds=1)
    assert (
        "  and in the busy season: every 30m from 0 h to 23 h in months 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 (now)"
        in out
    )


def test_the_next_check_of_an_interval_is_counted_from_midnight(
    site: Site, smtp: SmtpServer, write_config, capsys
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra='[schedule]\nevery = "6h"\nseason = false\n')
    assert run(config, "check") == 0
    before = datetime.now(ZoneInfo("Europe/Paris"))
    _, out = status(config, capsys)
    paris = ZoneInfo("Europe/Paris")
    midnight, next_midnight = (
        datetime.combine(before.date() + timedelta(days=d), datetime.min.time(), paris) for d in (0, 1)
    )
    # 0, 6, 12 and 18 h, counted in real hours (so 7, 13 and 19 h CEST on the day clocks go forward).
    grid = [t for k in range(5) if (t := (midnight.astimezone(UTC) + timedelta(hours=6 * k))) < next_midnight]
    assert next_check(out) == min(t for t in [*grid, next_midnight] if t > before)


def test_the_school_missing_from_the_list_exits_1_and_a_peer_missing_is_shown(
    site: Site, smtp: SmtpServer, write_config, capsys
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, school="IMT Mines Alais")  # misspelt: never found
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'name = "IMT Mines Alais"', 'name = "IMT Mines Alais"\npeers = ["Mines Sant-Etienne"]'
        ),
        encoding="utf-8",
    )
    assert run(config, "check") == 0
    code, out = status(config, capsys)
    assert code == 1
    assert "NEEDS ATTENTION: IMT Mines Alais is not in the last list read" in out
    assert "warning:" in out and "Mines Sant-Etienne" in out
