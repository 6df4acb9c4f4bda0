"""Standard crontab day-of-week numbers (0 or 7 = Sunday) mean what cron means, under APScheduler 3."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from watcher.cron import crontab_trigger

PARIS = ZoneInfo("Europe/Paris")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("expression", "next_day"),
    [
        ("0 7 * * 1", "Mon 30"),
        ("0 7 * * 0", "Sun 29"),
        ("0 7 * * 7", "Sun 29"),
        ("0 7 * * 1-5", "Thu 26"),
        ("0 7 * * 0-6", "Thu 26"),
        ("0 7 * * 6-7", "Sat 28"),
        ("0 7 * * 1,3,5", "Fri 27"),
        ("0 7 * * sat", "Sat 28"),
    ],
)
def test_weekdays_are_those_of_cron(expression: str, next_day: str) -> None:
    fire = crontab_trigger(expression, PARIS).get_next_fire_time(None, WEDNESDAY_NOON)
    assert fire is not None and fire.strftime("%a %d %H:%M") == f"{next_day} 07:00"


def test_every_weekday_of_a_range_from_sunday_fires() -> None:
    trigger = crontab_trigger("0 7 * * 0-5", PARIS)
    fire, days = WEDNESDAY_NOON, []
    for _ in range(7):
        fire = trigger.get_next_fire_time(None, fire)
        days.append(fire.strftime("%a"))
        fire = fire.replace(hour=8)
    assert sorted(days) == sorted(["Thu", "Fri", "Sun", "Mon", "Tue", "Wed", "Thu"])
