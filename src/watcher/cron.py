"""Standard five-field crontab expressions, read by APScheduler's parser (vocabulary: config checks them, the
schedule runs them)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

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


@lru_cache(maxsize=16)  # the daemon asks for the next run after every check: one trigger per expression, kept
def crontab_trigger(expression: str, tz: ZoneInfo) -> BaseTrigger:
    """A standard five-field crontab (day of week 0 or 7 = Sunday, 1 = Monday) as an APScheduler trigger.

    APScheduler 3 numbers days of week from Monday = 0, so "1-5" would mean Tuesday to Saturday:
    numeric days are turned into names first ("mon-fri"), which both read the same way.
    """
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, day_of_week = expression.split()
    day_of_week = ",".join(_weekday_names(item) for item in day_of_week.split(","))
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=tz)
