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


# --- The whole schedule (regular rhythm and busy season) as the daemon runs it and `status` tells it ---------

from datetime import timedelta  # noqa: E402

from watcher.config import ScheduleConfig, SeasonConfig  # noqa: E402
from watcher.schedule import Rhythm, interval_of, local_time, next_run  # noqa: E402

DAILY = ScheduleConfig(cron="0 7 * * *")  # with the default season: hourly from 7 to 21 h, November to February


def at(text: str, tz: ZoneInfo = PARIS) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)


def told(moment: datetime | None) -> str:
    return local_time(moment, PARIS)


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        (DAILY, "2026-01-20 12:10", "2026-01-20 13:00 CET"),  # in the season: the next hour
        (DAILY, "2026-01-20 06:10", "2026-01-20 07:00 CET"),  # both at 7:00
        (DAILY, "2026-01-20 21:30", "2026-01-21 07:00 CET"),  # after the season's last hour
        (DAILY, "2026-03-10 12:00", "2026-03-11 07:00 CET"),  # out of season: the cron alone
        (DAILY, "2026-10-31 12:00", "2026-11-01 07:00 CET"),  # the season starts with November
        (DAILY, "2026-11-29 13:00", "2026-11-29 13:00 CET"),  # a fire time is its own next run
        (ScheduleConfig(cron="0 7 * * *", season=None), "2026-01-20 12:10", "2026-01-21 07:00 CET"),
        (
            ScheduleConfig(cron="0 7 * * *", season=SeasonConfig(months=(1,), every="30m", hours="7-21")),
            "2026-01-20 21:40",
            "2026-01-21 07:00 CET",
        ),
        (
            ScheduleConfig(cron="0 7 * * *", season=SeasonConfig(months=(1,), every="30m", hours="7-21")),
            "2026-01-20 21:10",
            "2026-01-20 21:30 CET",
        ),
        (ScheduleConfig(every="6h", season=None), "2026-06-10 13:00", "2026-06-10 18:00 CEST"),
        (ScheduleConfig(every="6h", season=None), "2026-06-10 19:00", "2026-06-11 00:00 CEST"),
        # The day clocks go forward: counted in real hours from midnight.
        (ScheduleConfig(every="6h", season=None), "2026-03-29 01:00", "2026-03-29 07:00 CEST"),
        (ScheduleConfig(every="2d", season=None), "2026-06-10 13:00", "2026-06-11 00:00 CEST"),
    ],
)
def test_next_run_is_the_whole_schedules(schedule: ScheduleConfig, now: str, expected: str) -> None:
    assert told(next_run(schedule, at(now))) == expected


def test_in_another_time_zone_the_hours_are_its_own() -> None:
    new_york = ZoneInfo("America/New_York")
    schedule = ScheduleConfig(cron="0 7 * * *", timezone="America/New_York")
    assert local_time(next_run(schedule, at("2026-01-20 12:10", new_york)), new_york) == "2026-01-20 13:00 EST"


def test_the_trigger_fires_once_when_the_rhythm_and_the_season_agree() -> None:
    trigger, fires = Rhythm(DAILY), []
    fire = trigger.get_next_fire_time(None, at("2026-01-20 05:30"))
    for _ in range(4):
        fires.append(told(fire)[11:16])
        fire = trigger.get_next_fire_time(fire, fire)  # as APScheduler asks, once the run is due
    assert fires == ["07:00", "08:00", "09:00", "10:00"]


def test_jitter_never_drifts_the_schedule() -> None:
    trigger = Rhythm(ScheduleConfig(every="1h", season=None), jitter=60)
    fire = trigger.get_next_fire_time(None, at("2026-06-10 05:30"))
    for hour in range(6, 30):
        assert fire is not None and timedelta(0) <= fire - at("2026-06-10 00:00") - timedelta(hours=hour) <= (
            timedelta(seconds=60)
        )
        fire = trigger.get_next_fire_time(fire, fire)


def test_the_interval_is_the_seasons_in_its_hours() -> None:
    assert interval_of(DAILY, at("2026-01-20 12:10")) == timedelta(hours=1)
    assert interval_of(DAILY, at("2026-03-10 12:00")) == timedelta(days=1)


def test_local_time_is_written_with_its_zone() -> None:
    assert local_time(at("2026-01-20 07:00"), PARIS) == "2026-01-20 07:00 CET"
    assert local_time(at("2026-07-20 07:00"), PARIS) == "2026-07-20 07:00 CEST"
    assert local_time(None, PARIS) == "never"
    assert local_time(at("2026-01-20 07:00") + timedelta(seconds=3), PARIS, seconds=True) == "2026-01-20 07:00:03 CET"
