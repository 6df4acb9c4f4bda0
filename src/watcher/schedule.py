"""When checks run: the whole of `[schedule]` (a cron or an interval, and the busy season) as one APScheduler trigger.

Fire times follow from the config and the clock alone (an interval counts from midnight, not from the daemon's
start), so `watcher status` tells the very run the daemon will make.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from watcher.config import ScheduleConfig, SeasonConfig, parse_duration
from watcher.cron import crontab_trigger

_TICK = timedelta(microseconds=1)
_ALL_MONTHS = range(1, 13)


def local_time(moment: datetime | None, tz: tzinfo | None, *, seconds: bool = False) -> str:
    """'2026-01-20 07:00 CET': how `status` and the daemon's log write a time."""
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M{':%S' if seconds else ''} %Z}".strip() if moment else "never"


def season_words(season: SeasonConfig) -> str:
    """'every 1h from 7 h to 21 h in months 11, 12, 1, 2'."""
    months = ", ".join(str(m) for m in season.months)
    return f"every {season.every} from {season.hours.replace('-', ' h to ')} h in months {months}"


def _grid(origin: datetime, step: timedelta, at: datetime) -> datetime:
    """The first `origin + k·step` (k ≥ 0) at or after `at`, counted in absolute time."""
    origin, at = origin.astimezone(UTC), at.astimezone(UTC)
    return origin if at <= origin else origin - ((origin - at) // step) * step


def _in_hours(
    at: datetime, tz: ZoneInfo, step: timedelta, months: Collection[int], hours: tuple[int, int]
) -> datetime | None:
    """The first time at or after `at` on the day's grid `first hour:00 + k·step`, in `months`, before the end of
    the last hour."""
    day = at.astimezone(tz).date()
    for _ in range(400):  # every month comes round within a year
        if day.month in months:
            start = datetime.combine(day, time(hours[0]), tz)
            end = datetime.combine(day, time(hours[1]), tz) + timedelta(hours=1)  # wall clock: 21 h → 22:00
            fire = _grid(start, step, at)
            if fire < end:
                return fire.astimezone(tz)
        day += timedelta(days=1)
    return None


def _regular(schedule: ScheduleConfig, at: datetime, tz: ZoneInfo) -> datetime | None:
    if schedule.every:
        step = timedelta(seconds=parse_duration(schedule.every))
        if step <= timedelta(days=1):
            return _in_hours(at, tz, step, _ALL_MONTHS, (0, 23))
        # Counted on the wall clock from a fixed day, so that "2d" stays at midnight across the changes of time.
        origin, local = datetime(2000, 1, 1), at.astimezone(tz).replace(tzinfo=None)
        return (origin if local <= origin else origin - ((origin - local) // step) * step).replace(tzinfo=tz)
    fire: datetime | None = crontab_trigger(schedule.rhythm, tz).get_next_fire_time(None, at)
    return fire


def next_run(schedule: ScheduleConfig, at: datetime) -> datetime | None:
    """The first scheduled check at or after `at`, before jitter: the regular rhythm, or the season's in its hours."""
    tz = ZoneInfo(schedule.timezone)
    fires = [_regular(schedule, at, tz)]
    if season := schedule.season:
        low, high = (int(h) for h in season.hours.split("-"))
        fires.append(_in_hours(at, tz, timedelta(seconds=parse_duration(season.every)), season.months, (low, high)))
    found = [f for f in fires if f is not None]
    return min(found) if found else None


class Rhythm(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no types
    """The whole schedule as one trigger, so that the regular rhythm and the season never stack two checks."""

    def __init__(self, schedule: ScheduleConfig, jitter: float | None = None) -> None:
        self.schedule, self.jitter = schedule, jitter

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        # The next grid time after the last run (jittered or not), so that the jitter never drifts the schedule.
        start = previous_fire_time + _TICK if previous_fire_time else now
        fire: datetime | None = self._apply_jitter(next_run(self.schedule, start), self.jitter, now)
        return fire


def interval_of(schedule: ScheduleConfig, now: datetime) -> timedelta:
    """Time between the next two scheduled checks (the season's interval in its hours)."""
    first = next_run(schedule, now)
    second = next_run(schedule, first + _TICK) if first else None
    return (second - first) if first and second else timedelta(days=1)


def jitter_of(schedule: ScheduleConfig, now: datetime) -> float:
    if schedule.jitter_seconds is not None:
        return schedule.jitter_seconds
    return min(60.0, interval_of(schedule, now).total_seconds() / 10)
