"""What the measurements share: the result row, configs pointing at the fixture site, timers, database size."""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fixture_site import Site

BIN = Path(sys.executable).parent  # the project's venv: its python and its `watcher` console script
RANKING = "Palmarès général des écoles d'ingénieurs"


@dataclass
class Result:
    """One line of the table."""

    key: str
    what: str
    measured: str
    target: str = "—"
    status: str = "info"  # pass | MISS | info | n/a
    notes: list[str] = field(default_factory=list)


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class RecordingMailer:
    """A mailer that keeps what it is given and accepts it at once, as a mail server's 250 would."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, message: EmailMessage, *, to: Any = None, on_accepted: Any = None) -> Any:
        from watcher.mail import Accepted, recipients

        self.messages.append(message)
        accepted = Accepted("(the benchmark)", tuple(to) if to is not None else recipients(message))
        if on_accepted is not None:
            on_accepted(accepted)
        return accepted


def config_data(site: Site, database: Path) -> dict[str, Any]:
    return {
        "database": str(database),
        "school": {"name": "IMT Mines Alès"},
        "rankings": [{"name": RANKING, "url": site.list_url}],
        "email": {
            "to": ["communication@example.org"],
            "from": "watcher@example.org",
            "smtp_host": "127.0.0.1",
            "smtp_port": site.smtp_port,
            "starttls": False,
            "timeout_seconds": 5,
        },
        "fetch": {"delay_seconds": 0, "backoff_seconds": 0.1, "timeout_seconds": 10},
    }


def make_config(site: Site, database: Path) -> Any:
    """A validated watcher Config for in-process checks against the fixture site."""
    from watcher import config

    return config.from_dict(config_data(site, database), base_dir=database.parent, source="(benchmark)")


def write_toml(folder: Path, site: Site, schedule: str = "") -> Path:
    """The same config as a config.toml, for the `watcher` command (check, daemon)."""
    data = config_data(site, folder / "watcher.db")
    email, fetch = data["email"], data["fetch"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f'database = "{data["database"]}"\n[school]\nname = "IMT Mines Alès"\n'
        f'[[rankings]]\nname = "{RANKING}"\nurl = "{site.list_url}"\n'
        f'[email]\nto = ["communication@example.org"]\nfrom = "watcher@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {email["smtp_port"]}\nstarttls = false\ntimeout_seconds = 5\n'
        f"[fetch]\ndelay_seconds = {fetch['delay_seconds']}\nbackoff_seconds = {fetch['backoff_seconds']}\n"
        f"timeout_seconds = {fetch['timeout_seconds']}\n" + (f"[schedule]\n{schedule}\n" if schedule else ""),
        encoding="utf-8",
    )
    return path


def db_bytes(path: Path) -> int:
    """The database's size on disk, -wal included, after a checkpoint."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def btree_bytes(path: Path) -> dict[str, int]:
    """Bytes on disk of each table and index (SQLite's dbstat), largest first; empty when dbstat is missing."""
    try:
        found = rows(path, "select name, sum(pgsize) from dbstat group by name order by 2 desc")
    except sqlite3.OperationalError:
        return {}
    return {name: int(size) for name, size in found}


def count(path: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute(sql, params).fetchone()[0] or 0)
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0
    finally:
        conn.close()


def rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


@dataclass
class Timed:
    wall: float
    cpu: float
    returncode: int
    stderr: str
    requests: int = 0  # HTTP requests the fixture site received during the run
    mails: int = 0  # messages its SMTP sink accepted during the run


def run_timed(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> Timed:
    """Run a command; its wall time and its CPU time (user + system, from the kernel's rusage of that child)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return Timed(wall, usage.ru_utime + usage.ru_stime, proc.returncode, err.read().decode(errors="replace"))


class StageClock:
    """CPU time spent in named callables, by replacing them with timing wrappers for the duration of a block."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    @contextmanager
    def watch(self, targets: dict[str, tuple[object, str]]) -> Iterator[StageClock]:
        saved = []
        for name, (owner, attribute) in targets.items():
            original = getattr(owner, attribute, None)
            if original is None:  # renamed in src: that stage is simply not broken out
                continue
            saved.append((owner, attribute, original, attribute in vars(owner)))
            setattr(owner, attribute, self._wrap(name, original))
        try:
            yield self
        finally:
            for owner, attribute, original, own in reversed(saved):
                if own:
                    setattr(owner, attribute, original)
                else:
                    delattr(owner, attribute)

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - started
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed

    def summary(self) -> str:
        return ", ".join(f"{name} {ms(seconds)}" for name, seconds in self.cpu.items())
