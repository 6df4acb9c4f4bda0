"""`watcher daemon`: checks on a schedule (APScheduler 3), retries pending alerts between checks, stops cleanly.

A thin shell: it holds the daemon lock, schedules `run_check` and `deliver_pending`, and turns SIGTERM
or SIGINT into a stop that lets the running step finish (or abandons it, rolled back, after 6 s).
Its log says what an operator must be able to trust: each check, each email sent, a check that overran its slot
and when the next one runs, stamped in the schedule's time zone like `watcher status`.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from types import FrameType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from watcher.config import Config
from watcher.errors import Busy
from watcher.schedule import Rhythm, interval_of, jitter_of, local_time, next_run, season_words
from watcher.store.lock import check_lock, daemon_lock

if TYPE_CHECKING:
    from watcher.mail import Mailer
    from watcher.store.db import Store

log = logging.getLogger("watcher.daemon")
STOP_GRACE_SECONDS = 6.0  # a stop must end within 10 s
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LocalTimes(logging.Formatter):
    """Stamps each line in the schedule's time zone, with its name ("2026-01-20 07:00:03 CET"), as `status` does."""

    def __init__(self, tz: tzinfo) -> None:
        super().__init__(LOG_FORMAT)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return f"{datetime.fromtimestamp(record.created, self.tz):%Y-%m-%d %H:%M:%S %Z}"


@dataclass(frozen=True, slots=True)
class LoggedMailer:
    """The daemon's mailer: each email the server accepted, comms or ops, is logged with its Message-ID."""

    mailer: Mailer

    def send(self, message: EmailMessage, **options: Any) -> Any:
        accepted = self.mailer.send(message, **options)
        log.info(
            "email sent [%s] %s (Message-ID %s, to %s)",
            message.get("X-Watcher-Kind", "comms"),
            message["Subject"],
            message["Message-ID"],
            ", ".join(accepted.recipients),  # who the server took it for: a retry goes to some of its To only
        )
        return accepted


def _took(span: timedelta) -> str:
    seconds = span.total_seconds()
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class Daemon:
    """The scheduled loop around `run_check`; `run()` blocks until SIGTERM or SIGINT."""

    def __init__(self, config: Config) -> None:
        from watcher.apart import Apart
        from watcher.mail import SmtpMailer
        from watcher.pages.fetch import Fetcher
        from watcher.store.db import Store

        self.config = config
        self.tz = ZoneInfo(config.schedule.timezone)
        self.stop = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        with Store.open(config.database) as store:  # what each host asked of us before this daemon started
            self.fetcher = Fetcher(config.fetch, config.contact, store.hosts())
        self.apart = Apart(self.fetcher)  # pages to parse, alerts to draw: in a child, so memory stays small
        self.mailer = LoggedMailer(SmtpMailer.from_env(config.email))

    def _now(self) -> datetime:
        return datetime.now(self.tz)

    def check(self, reason: str) -> None:
        """One scheduled check; never raises, so the scheduler keeps going."""
        from watcher.check import run_check
        from watcher.store.db import Store

        self.idle.clear()  # busy before looking at the flag: a stop in between waits for this step
        if self.stop.is_set():
            self.idle.set()
            return
        started = self._now()
        try:
            with check_lock(self.config.database), Store.open(self.config.database) as store:
                # A `watcher check` run by hand meanwhile may have learnt a pause or a robots.txt: kept, not undone.
                self.fetcher.remember(store.hosts())
                result = run_check(
                    self.config,
                    store=store,
                    fetcher=self.fetcher,
                    mailer=self.mailer,
                    due_only=True,
                    should_stop=self.stop.is_set,
                    offload=self.apart,
                )
                self._log_mail_trouble(store)
            for c in result.checks:
                level = logging.INFO if c.ok else logging.WARNING
                log.log(level, "check (%s) %s: %s%s", reason, c.ranking, c.outcome, f": {c.error}" if c.error else "")
                if c.warning:  # the check went through, but something may hide a mistake (ops are emailed once)
                    log.warning("check (%s) %s: warning: %s", reason, c.ranking, c.warning)
            for _, reason_failed in result.delivery.failed:
                log.warning("mail not sent (retried later): %s", reason_failed)
        except Busy as exc:
            log.warning("check (%s) skipped: %s", reason, exc)
        except Exception:
            log.exception("check (%s) crashed; the next one will run as scheduled", reason)
        finally:
            self._after_check(reason, started)
            self.idle.set()

    def _after_check(self, reason: str, started: datetime) -> None:
        """Say when the next check runs, and whether this one ran past it (then that slot is skipped)."""
        now, schedule = self._now(), self.config.schedule
        slot = next_run(schedule, started + timedelta(microseconds=1))
        if slot is not None and now > slot:
            log.warning(
                "check (%s) overran its slot: it started at %s and took %s, past the check due at %s, which is "
                "skipped (checks never stack). If this repeats, check less often ([schedule]) or see what is slow "
                "with `watcher -v check`.",
                reason,
                local_time(started, self.tz, seconds=True),
                _took(now - started),
                local_time(slot, self.tz, seconds=True),
            )
        if not self.stop.is_set():  # no slot between the check's start and now: the next is the one after its start
            upcoming = slot if slot is not None and now < slot else next_run(schedule, now)
            log.info("next check at %s", local_time(upcoming, self.tz))

    def deliver(self) -> None:
        """Retry pending alerts whose backoff has elapsed, between checks."""
        self.idle.clear()
        if self.stop.is_set():
            self.idle.set()
            return
        try:
            # The check lock also guards the outbox: a `watcher check` run by hand meanwhile must not send the
            # same pending alert at the same time.
            with check_lock(self.config.database):
                self._deliver_due()
        except Busy:
            log.debug("delivery skipped: a check is running and delivers the outbox itself")
        except Exception:
            log.exception("delivery of pending alerts crashed; it will be tried again")
        finally:
            self.idle.set()

    def _deliver_due(self) -> None:
        from watcher.outbox import Addressees, deliver_pending
        from watcher.store.db import Store

        store = Store.open(self.config.database)
        try:
            if store.pending(due_at=datetime.now(self.tz)):
                delivery = deliver_pending(
                    store,
                    self.mailer,
                    due_only=True,
                    should_stop=self.stop.is_set,
                    retry_seconds=self.config.email.retry_seconds,
                    addressees=Addressees(self.config.email.to, self.config.email.operators),
                )
                if delivery.sent:
                    log.info("delivered %d pending alert(s)", len(delivery.sent))
                self._log_mail_trouble(store)
        finally:
            store.close()

    def _log_mail_trouble(self, store: Store) -> None:
        pending = store.pending()
        limit = timedelta(hours=self.config.alerts.mail_failing_log_after_hours)
        old = [p for p in pending if p.attempts and datetime.now(self.tz) - p.created_at > limit]
        if old:
            hours = (datetime.now(self.tz) - old[0].created_at).total_seconds() / 3600
            log.error(
                "%d ALERT EMAIL(S) NOT DELIVERED for %.1f h; last error: %s. Run `watcher test-email` to diagnose; "
                "once [email] is corrected and the daemon restarted, they go to the addresses it names then.",
                len(old),
                hours,
                old[0].last_error,
            )

    def _due_at_start(self) -> bool:
        from watcher.store.db import Store

        store = Store.open(self.config.database)
        try:
            checks = [store.state(r.name).last_check_at for r in self.config.rankings]
        finally:
            store.close()
        if any(c is None for c in checks):
            return True
        oldest = min(c for c in checks if c is not None)
        return self._now() - oldest >= interval_of(self.config.schedule, self._now())

    def run(self) -> int:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        schedule = self.config.schedule
        now = self._now()
        scheduler = BackgroundScheduler(
            timezone=self.tz,
            executors={"default": ThreadPoolExecutor(1)},  # one step at a time: checks and deliveries queue
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # One job for the regular rhythm and the season together: a check due on both runs once.
        scheduler.add_job(self.check, Rhythm(schedule, jitter_of(schedule, now) or None), args=["schedule"], id="check")
        retry_every = max(1.0, min(60.0, self.config.email.retry_seconds))
        scheduler.add_job(self.deliver, IntervalTrigger(seconds=retry_every, timezone=self.tz), id="deliver")
        due = self._due_at_start()
        if due:
            scheduler.add_job(self.check, args=["start-up"], id="start-up", next_run_time=now)
        first = "now (the last one is older than the interval)" if due else local_time(next_run(schedule, now), self.tz)

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # Only a flag: the handler may run in the middle of the scheduler's own code (holding its locks), so
            # the scheduler is stopped below, by the main thread, once the handler has returned.
            log.info("%s received: stopping", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info(
            "watcher daemon started: %d ranking(s), schedule %s (%s)%s; next check: %s; database %s",
            len(self.config.rankings),
            schedule.rhythm,
            schedule.timezone,
            f", busy season {season_words(schedule.season)}" if schedule.season else "",
            first,
            self.config.database,
        )
        scheduler.start()  # in its own thread; the steps in its one worker
        while not self.stop.wait(1.0):  # a timed wait, so that the signal handler runs promptly
            pass
        scheduler.shutdown(wait=False)
        if not self.idle.wait(STOP_GRACE_SECONDS):
            # The step in flight is abandoned: SQLite rolls back its open transaction on the next open.
            log.warning("a check was still running; it is abandoned and its writes are rolled back")
            from watcher.apart import end_children

            end_children()
            logging.shutdown()
            sys.stderr.flush()
            os._exit(0)
        self.fetcher.close()
        log.info("watcher daemon stopped")
        return 0


def run_daemon(config: Config) -> int:
    """Hold the daemon lock for the life of the process and run the scheduler."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(LocalTimes(ZoneInfo(config.schedule.timezone)))
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # -vv shows everything
        # APScheduler's own warning for a skipped run is replaced by ours, which says which check and why.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
    try:
        lock = daemon_lock(config.database).acquire()
    except Busy as exc:
        raise Busy(
            f"{exc} Stop it first (systemctl stop watcher, or kill that pid): one daemon per database."
        ) from None
    try:
        return Daemon(config).run()
    finally:
        lock.release()
