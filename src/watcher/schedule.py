"""When checks run: the config's cron or interval as APScheduler triggers, and what follows from them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .config import ScheduleConfig, parse_duration

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(item: str) -> str:
    """'1-5' → 'mon-fri'; '0-6' → 'sun,mon-sat' (a range cannot wrap past Sunday); '*/2' and names unchanged."""
    match = re.fullmatch(r"([0-7])-([0-7])((?:/\d+)?)", item)
    if match:
        low, high, step = int(match.group(1)), int(match.group(2)), match.group(3)
        if low == 0 and high >= 1 and not step:
            return f"sun,{_DAYS[1]}-{_DAYS[high]}"
        return f"{_DAYS[low]}-{_DAYS[high]}{step}"
    return re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: _DAYS[int(m.group(1))], item)


def crontab_trigger(expression: str, tz: ZoneInfo) -> BaseTrigger:
    """A standard five-field crontab (day of week 0 or 7 = Sunday, 1 = Monday) as an APScheduler trigger.

    APScheduler 3 numbers days of week from Monday = 0, so "1-5" would mean Tuesday to Saturday:
    numeric days are turned into names first ("mon-fri"), which both read the same way.
    """
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, day_of_week = expression.split()
    day_of_week = ",".join(_weekday_names(item) for item in day_of_week.split(","))
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=tz)


def main_trigger(schedule: ScheduleConfig) -> BaseTrigger:
    """The regular rhythm: a cron expression or a fixed interval."""
    from apscheduler.triggers.interval import IntervalTrigger

    tz = ZoneInfo(schedule.timezone)
    if schedule.every:
        return IntervalTrigger(seconds=parse_duration(schedule.every), timezone=tz)
    return crontab_trigger(schedule.rhythm, tz)


def interval_of(schedule: ScheduleConfig, now: datetime) -> timedelta:
    """Time between two regular checks (for a cron rhythm, between its next two fire times)."""
    if schedule.every:
        return timedelta(seconds=parse_duration(schedule.every))
    trigger = main_trigger(schedule)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return (second - first) if first and second else timedelta(days=1)


def next_run(schedule: ScheduleConfig, now: datetime) -> datetime | None:
    """When the regular schedule fires next (the season, when active, may fire sooner)."""
    fire: datetime | None = main_trigger(schedule).get_next_fire_time(None, now)
    return fire


def jitter_of(schedule: ScheduleConfig, now: datetime) -> float:
    if schedule.jitter_seconds is not None:
        return schedule.jitter_seconds
    return min(60.0, interval_of(schedule, now).total_seconds() / 10)
