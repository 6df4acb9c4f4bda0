"""Alerts: the watched school's standing before and after, with every figure the email states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from typing import Literal

from watcher.model.events import Event
from watcher.model.lists import Row
from watcher.model.school_pages import IndicatorChange

AlertKind = Literal["moved", "stable", "entered", "left"]
MailKind = Literal["comms", "ops"]  # who an email in the outbox is for

# Headers are not folded below the RFC's hard limit: Python 3.11 drops the space between two encoded
# words when it folds a long non-ASCII subject (CPython gh-144156).
EMAIL_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True, slots=True)
class GroupPlace:
    """Where a school stands inside its group: 16th of 34 in group A."""

    group: str
    position: int
    size: int

    @property
    def first_half(self) -> bool:
        return self.position * 2 <= self.size


@dataclass(frozen=True, slots=True)
class SubsetPlace:
    """Where a school stands among a subset of the list the config names (3e des 12 écoles post-bac)."""

    name: str  # as the config names it: "école post-bac"
    position: int  # 1 + the members ranked strictly ahead
    size: int  # the members listed, the school included
    tied: bool = False  # another member shares its rank
    before: int | None = None  # its position in the old list, when it was listed there


@dataclass(frozen=True, slots=True)
class Share:
    """The schools ranked ahead of one (26 of 168), and the first N % of the list it is in (17 %)."""

    ahead: int
    count: int
    top: int | None  # the rank as a percentage of the count, rounded up; stated only when it is 50 or less


@dataclass(frozen=True, slots=True)
class CriterionDelta:
    """One criterion (or the total) before and after, with its change and its maximum where the page gives one."""

    label: str
    before: float | None
    after: float | None
    change: float | None  # after − before, rounded to the hundredth; None when either is not published
    out_of: float | None = None
    is_total: bool = False
    notable: bool = False  # a change large enough to be told as progress or decline in a press release


@dataclass(frozen=True, slots=True)
class Standing:
    """A school in one edition of a ranking; `row` is None when it is not in that edition's list."""

    edition: int
    row: Row | None
    count: int
    fetched_at: datetime
    url: str = ""
    imported: bool = False  # read from a saved copy (`watcher import`): fetched_at is the copy's date


@dataclass(frozen=True, slots=True)
class PeerMove:
    """A peer school's rows in the old and new snapshot (None where it is not listed)."""

    name: str
    old: Row | None
    new: Row | None
    places: int | None = None  # places gained (+) or lost (−); None when it is listed on one side only
    overtake: Literal["school-passes", "peer-passes"] | None = None  # who passed whom, between the two lists


@dataclass(frozen=True, slots=True)
class Alert:
    """One message for the comms team: the watched school's standing before and after."""

    kind: AlertKind  # "stable": a new edition, the same rank
    ranking: str
    url: str
    school: str
    old_edition: int
    new_edition: int
    old_row: Row | None
    new_row: Row | None
    old_count: int
    new_count: int
    new_group_place: GroupPlace | None
    fetched_at: datetime
    message_key: str  # stable across retries: one alert, one Message-ID
    changes: tuple[Event, ...] = ()  # the events that concern this school
    series: tuple[Standing, ...] = ()  # the school in every edition known, oldest first
    peers: tuple[PeerMove, ...] = ()
    indicators: tuple[IndicatorChange, ...] = ()
    ranks_derived: bool = False  # the new list shows no rank: ranks were derived from its order
    confirmed_reads: int = 1  # whole reads of the new list that agree (2 when a school leaving was confirmed)
    declared_count: int | None = None  # the count the new list's page states, when it differs from the rows read
    # The figures, each computed once by `watcher.news.figures` and only formatted by the renderers:
    places: int | None = None  # places gained (+) or lost (−); None when the school is listed on one side only
    share: Share | None = None  # the schools ranked ahead in the new list
    criteria: tuple[CriterionDelta, ...] = ()  # the new row's criteria, then its total, against the old row
    revision: bool = False  # the same edition, revised: told as before / after, not as two years
    point_digits: int = 0  # decimals of every point figure: 1 when any score of either list has one
    subsets: tuple[SubsetPlace, ...] = ()  # its place among each subset the config names, in the new list
