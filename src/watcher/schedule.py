"""When checks run: the config's cron or interval as APScheduler triggers, and what follows from them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from watcher.config import ScheduleConfig, parse_duration
from watcher.cron import crontab_trigger

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger


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
