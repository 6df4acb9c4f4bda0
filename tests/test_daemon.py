"""The daemon as a real process: schedule, locks, signals, crashes, outages, ops alerts.

Each test starts `watcher daemon` with `every = "1s"` against the local HTTP and SMTP servers and
waits for what it must see, never longer than it must.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from watcher.cli import main
from watcher.store.lock import check_lock

from .conftest import LIST_PATH, RANKING, Site, SmtpServer, fixture

FAST = """[schedule]
every = "1s"
jitter_seconds = 0
[alerts]
failures_before_alert = 2
mail_failing_log_after_hours = 0.0005
"""


def wait_for(condition: Callable[[], object], timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon:
    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log_path = config, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "watcher.cli", "--config", str(self.config), "daemon"],
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean-up of any kind
        self.proc.wait()


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[[Path], Daemon]]:
    started: list[Daemon] = []

    def make(config: Path) -> Daemon:
        d = Daemon(config, tmp_path / f"daemon-{len(started)}.log")
        started.append(d)
        return d

    yield make
    for d in started:
        if d.proc and d.proc.poll() is None:
            d.kill()


def database(config: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(config.parent / "watcher.db")


def snapshots(config: Path) -> int:
    path = config.parent / "watcher.db"
    return database(config)["snapshots"].count if path.exists() and "snapshots" in database(config).table_names() else 0


def outbox(config: Path, where: str = "1") -> list[dict]:
    db = database(config)
    return list(db["outbox"].rows_where(where)) if "outbox" in db.table_names() else []


@pytest.fixture
def config(site: Site, smtp: SmtpServer, write_config) -> Path:
    site.edition(2020)
    return write_config(smtp.port, extra=FAST)


def test_daemon_checks_on_schedule_alerts_once_and_stops_on_sigterm(
    config: Path, site: Site, smtp: SmtpServer, daemons
) -> None:
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    site.edition(2021)
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the alert")
    time.sleep(2.5)  # two more scheduled checks: nothing new to say
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0]["Subject"].startswith("IMT Mines Alès : 27e (+6 places)")
    started = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0, d.log
    assert time.monotonic() - started < 10
    assert "watcher daemon stopped" in d.log


def test_sigint_stops_it_too(config: Path, daemons) -> None:
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    assert d.stop(signal.SIGINT) == 0, d.log


def test_a_second_daemon_on_the_same_database_refuses(config: Path, daemons) -> None:
    first = daemons(config).start()
    wait_for(lambda: "daemon started" in first.log, what="the first daemon")
    second = daemons(config).start()
    assert second.proc is not None and second.proc.wait(timeout=20) == 2
    assert "A watcher daemon is already running on this database (pid" in second.log
    assert first.proc is not None and first.proc.poll() is None


def test_a_check_while_a_check_runs_refuses(config: Path) -> None:
    with check_lock(config.parent / "watcher.db"):
        result = subprocess.run(
            [sys.executable, "-m", "watcher.cli", "--config", str(config), "check"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "A check is already running on this database" in result.stderr


def test_a_killed_daemon_leaves_no_lock_that_blocks_a_restart(config: Path, site: Site, smtp, daemons) -> None:
    first = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    first.kill()
    site.edition(2021)
    second = daemons(config).start()
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the alert after restart")
    assert second.stop() == 0


def test_sigterm_mid_check_leaves_the_database_as_before(config: Path, site: Site, daemons, httpserver) -> None:
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    before = database(config)["rows"].count
    site.delay = 30.0  # the next page takes far longer than the grace period
    site.edition(2021)
    wait_for(lambda: site.waiting, what="a check stuck on the slow page")
    started = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0, d.log
    assert time.monotonic() - started < 10
    site.delay = 0
    assert snapshots(config) == 1 and database(config)["rows"].count == before
    assert database(config).execute("pragma integrity_check").fetchone()[0] == "ok"


def test_smtp_down_for_several_checks_then_back_sends_exactly_one(
    config: Path, site: Site, smtp: SmtpServer, daemons
) -> None:
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    smtp.stop()
    site.edition(2021)
    wait_for(lambda: any(r["attempts"] >= 2 for r in outbox(config)), what="two failed deliveries")
    assert [r["status"] for r in outbox(config, "kind = 'comms'")] == ["pending"]
    wait_for(lambda: "ALERT EMAIL(S) NOT DELIVERED" in d.log, what="the loud log line about undelivered mail")
    smtp.start()
    wait_for(lambda: len(smtp.inbox.messages) >= 1, what="the delayed alert")
    time.sleep(3)
    assert [m["Subject"][:30] for m in smtp.inbox.messages] == ["IMT Mines Alès : 27e (+6 place"]
    assert d.stop() == 0


def test_the_daemons_retries_go_to_the_address_the_config_names_now(
    site: Site, smtp: SmtpServer, write_config, daemons
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra='[schedule]\nevery = "1d"\njitter_seconds = 0\n')
    assert main(["--config", str(config), "check"]) == 0
    smtp.stop()
    site.edition(2021)
    assert main(["--config", str(config), "check"]) == 0  # the alert waits in the outbox
    config.write_text(config.read_text().replace('to = ["communication@example.org"]', 'to = ["press@example.org"]'))
    smtp.start()
    d = daemons(config).start()  # the last check is recent: the daemon's first step is its outbox retry
    wait_for(lambda: smtp.inbox.messages, what="the alert, retried")
    assert [m["To"] for m in smtp.inbox.messages] == ["press@example.org"]
    assert "check (start-up)" not in d.log
    assert d.stop() == 0, d.log


def test_kill_9_during_a_check_then_restart_loses_nothing(config: Path, site: Site, smtp, daemons) -> None:
    first = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    site.delay = 30.0
    site.edition(2021)
    wait_for(lambda: site.waiting, what="a check stuck on the slow page")
    first.kill()
    site.delay = 0
    assert snapshots(config) == 1
    second = daemons(config).start()
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the alert after restart")
    time.sleep(2)
    assert len(smtp.inbox.messages) == 1 and snapshots(config) == 2
    assert second.stop() == 0


def test_kill_9_during_sending_then_restart_sends_once(config: Path, site: Site, smtp: SmtpServer, daemons) -> None:
    first = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    smtp.inbox.rcpt_delay = 30.0  # the server hangs before accepting the recipient
    site.edition(2021)
    wait_for(lambda: smtp.inbox.rcpt_waiting, what="a delivery in progress")
    first.kill()
    smtp.inbox.rcpt_delay = 0
    assert [r["status"] for r in outbox(config)] == ["pending"]
    second = daemons(config).start()
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the alert after restart")
    time.sleep(2)
    assert len(smtp.inbox.messages) == 1
    assert [r["status"] for r in outbox(config)] == ["sent"]
    assert second.stop() == 0


def test_layout_change_alerts_operators_once_then_once_on_recovery(
    site: Site, smtp: SmtpServer, write_config, daemons
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra=FAST, ops_to="ops@example.org")
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    site.pages[LIST_PATH] = fixture("refused/layout-changed.html")
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the ops alert")
    time.sleep(2.5)  # more failing checks: no more email
    assert len(smtp.inbox.messages) == 1
    failing = smtp.inbox.messages[0]
    assert failing["To"] == "ops@example.org"
    assert "failed checks in a row" in failing["Subject"]
    assert "no known layout fits this page" in failing.get_content()
    ops_line = f"email sent [ops] {failing['Subject']} (Message-ID {failing['Message-ID']}, to ops@example.org)"
    wait_for(lambda: ops_line in d.log, what="the log line of the ops email")
    site.edition(2020)
    wait_for(lambda: len(smtp.inbox.messages) == 2, what="the recovery email")
    assert "recovered" in smtp.inbox.messages[1]["Subject"]
    assert smtp.inbox.messages[1]["To"] == "ops@example.org"
    time.sleep(1.5)
    assert len(smtp.inbox.messages) == 2  # and never a comms alert
    assert d.stop() == 0


def test_the_daemons_delivery_waits_for_a_running_check(smtp: SmtpServer, write_config) -> None:
    from email.message import EmailMessage

    from watcher import config as config_module
    from watcher.daemon import Daemon
    from watcher.store.db import Store

    cfg = config_module.load(write_config(smtp.port))
    message = EmailMessage()
    message["Message-ID"], message["Subject"] = "<pending@example.org>", "IMT Mines Alès : 15e"
    message["From"], message["To"] = "watcher@example.org", "communication@example.org"
    message.set_content("texte")
    store = Store.open(cfg.database)
    store.record_check("C", [], alerts=[message])
    store.close()
    daemon = Daemon(cfg)
    try:
        with check_lock(cfg.database):  # a `watcher check` run by hand, delivering the outbox itself
            daemon.deliver()
            assert smtp.inbox.messages == []  # not sent twice at once
        daemon.deliver()
        assert [m["Message-ID"] for m in smtp.inbox.messages] == ["<pending@example.org>"]
    finally:
        daemon.fetcher.close()


def log_lines(d: Daemon, text: str) -> list[str]:
    # Subjects are logged as sent, with French narrow no-break spaces: read here as plain ones.
    return [line.replace("\u202f", " ") for line in d.log.splitlines() if text in line]


def test_every_email_sent_is_logged_in_the_schedules_time_zone(
    site: Site, smtp: SmtpServer, write_config, daemons
) -> None:
    site.edition(2020)
    # Another zone than the machine's and Paris's: the log follows [schedule] timezone, as `watcher status` does.
    config = write_config(
        smtp.port, extra=FAST.replace("jitter_seconds = 0", 'jitter_seconds = 0\ntimezone = "America/New_York"')
    )
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    site.edition(2021)
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the alert")
    alert = smtp.inbox.messages[0]
    wait_for(lambda: log_lines(d, str(alert["Message-ID"])), what="the log line of the email sent")
    (sent,) = log_lines(d, str(alert["Message-ID"]))
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T INFO watcher\.daemon: email sent \[comms\] "
        + re.escape(f"{alert['Subject']} (Message-ID {alert['Message-ID']}, to communication@example.org)"),
        sent,
    ), sent
    (started,) = log_lines(d, "watcher daemon started")
    assert "next check: now" in started
    assert re.search(r"INFO watcher\.daemon: next check at \d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$", d.log, re.M)
    assert d.stop() == 0


def test_a_check_that_overruns_its_slot_is_logged(config: Path, site: Site, daemons) -> None:
    site.delay = 2.5  # every = "1s": a check that waits 2.5 s for the list runs past the next slot
    d = daemons(config).start()
    wait_for(lambda: "overran its slot" in d.log, what="the overrun line")
    (line, *_) = log_lines(d, "overran its slot")
    assert re.search(
        r"WARNING watcher\.daemon: check \((start-up|schedule)\) overran its slot: it started at .+ and took "
        r"\d+\.\d s, past the check due at .+, which is skipped",
        line,
    ), line
    assert "maximum number of running instances" not in d.log  # APScheduler's words are replaced by ours
    site.delay = 0
    assert d.stop() == 0


def test_the_service_recipe_gives_test_email_the_services_secrets() -> None:
    root = Path(__file__).resolve().parents[1]
    unit = (root / "deploy" / "watcher.service").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    recipe = readme[readme.index("## Run it as a service") :]
    recipe = recipe[: recipe.index("\n## ")]
    (secrets,) = re.findall(r"^EnvironmentFile=(.+)$", unit, re.M)
    (config_file,) = re.findall(r"^Environment=WATCHER_CONFIG=(.+)$", unit, re.M)
    (user,) = re.findall(r"^User=(.+)$", unit, re.M)
    (test_email,) = [line for line in recipe.splitlines() if "watcher test-email" in line]
    # systemd reads the secrets as root, as it does for the service; the user never needs to read the file.
    assert f"-p EnvironmentFile={secrets}" in test_email
    assert f"--uid={user}" in test_email and f"WATCHER_CONFIG={config_file}" in test_email
    assert "sudo -u" not in test_email
    # One variable per line: systemd reads an environment file line by line.
    assert re.search(r"WATCHER_SMTP_USERNAME=\S*\s+WATCHER_SMTP_PASSWORD=", recipe) is None


def test_a_warning_under_the_daemon_is_logged_and_told_to_ops_once(
    site: Site, smtp: SmtpServer, write_config, daemons
) -> None:
    site.edition(2020)
    config = write_config(smtp.port, extra=FAST, school="IMT Mines Alais", ops_to="ops@example.org")  # misspelt
    d = daemons(config).start()
    wait_for(lambda: len(log_lines(d, "warning: IMT Mines Alais is not in this list")) >= 2, what="two checks")
    assert [m["Subject"] for m in smtp.inbox.messages] == [f"[watcher] {RANKING}: checked, with a warning"]
    assert d.stop() == 0


def test_the_daemon_reads_and_draws_in_a_child_so_the_parser_and_the_chart_never_stay(
    config: Path, site: Site, smtp: SmtpServer, daemons
) -> None:
    d = daemons(config).start()
    wait_for(lambda: snapshots(config) == 1, what="the baseline")
    site.edition(2021)
    wait_for(lambda: len(smtp.inbox.messages) == 1, what="the alert, with its chart")
    assert d.proc is not None
    # The compiled parts of lxml, Pillow and Jinja2's markupsafe, had the daemon itself loaded them.
    maps = Path(f"/proc/{d.proc.pid}/maps").read_text()
    assert [lib for lib in ("lxml/etree", "PIL/_imaging", "markupsafe/_speedups") if lib in maps] == []
    assert d.stop() == 0


def test_a_database_put_back_under_the_daemon_is_the_one_its_next_check_writes_to(config: Path, site: Site) -> None:
    """The daemon opens its database for each step and closes it after (so the file holds every write, and a copy
    taken meanwhile is whole): a file put in its place (a backup restored with `mv`) is the one the next step uses,
    never the old, unlinked one."""
    from watcher import load_config
    from watcher.daemon import Daemon as InProcess

    daemon = InProcess(load_config(config))
    path = config.parent / "watcher.db"
    daemon.check("first")
    first = database(config)["fetches"].count
    backup = path.with_name("backup.db")
    backup.write_bytes(path.read_bytes())  # the file alone, as a nightly copy takes it
    assert sqlite_utils.Database(backup)["fetches"].count == first  # nothing was left only in the -wal beside it
    os.replace(backup, path)  # another file now, with the same contents
    daemon.check("second")
    second = database(config)["fetches"].count
    assert second > first  # the check reached the file at the path
    path.unlink()
    daemon.check("third")
    # A database gone is created again (this check's requests only, a first list again), not written past.
    assert database(config)["fetches"].count < second and database(config)["snapshots"].count == 1
