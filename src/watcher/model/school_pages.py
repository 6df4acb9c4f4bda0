"""A school's own page: its indicators as published, and how one changed between editions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

ValueKind = Literal["number", "percent", "range", "text", "not-given"]


@dataclass(frozen=True, slots=True)
class Value:
    """An indicator's value as published, and what it means."""

    kind: ValueKind
    text: str
    low: float | None = None  # the number, or a range's lower bound
    high: float | None = None  # a range's upper bound
    unit: str | None = None

    @property
    def magnitude(self) -> float | None:
        """One number to compare: the value, a range's middle, or its only bound."""
        if self.low is not None and self.high is not None:
            return (self.low + self.high) / 2
        return self.low if self.low is not None else self.high


# The directory page's score of a criterion on 10, stored as an indicator beside its raw value.
SCORE_SUFFIX = " (note sur 10)"


@dataclass(frozen=True, slots=True)
class Indicator:
    section: str | None
    label: str
    value: Value


@dataclass(frozen=True, slots=True)
class SchoolPage:
    """One school's page at one time."""

    slug: str
    url: str
    name: str
    indicators: tuple[Indicator, ...]
    fetched_at: datetime
    edition: int  # the list edition current when it was read
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            payload = json.dumps([self.name, [[i.section, i.label, i.value.text] for i in self.indicators]])
            object.__setattr__(self, "content_hash", hashlib.sha256(payload.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class IndicatorChange:
    """One indicator of the school's own page that changed since the last edition."""

    label: str
    old: str
    new: str
    direction: int  # +1 progressed, -1 declined, 0 changed without a better or worse


# A school's page changes with the list, not between its editions: it is asked for when the list changes, else once
# a day (23 h, so that a daily check that starts a few minutes early still asks).
ASK_AGAIN_AFTER = timedelta(hours=23)
GONE = (404, 410)  # a page that is not there: asked for again only when the list changes


@dataclass(frozen=True, slots=True)
class PageAsk:
    """The last time a school's page was asked for: the status it answered, and what the check warned of it."""

    url: str
    asked_at: datetime
    status: int
    warning: str | None = None

    def due(self, at: datetime, *, list_changed: bool) -> bool:
        """Whether to ask for the page again now."""
        if list_changed:
            return True
        return self.status not in GONE and at - self.asked_at >= ASK_AGAIN_AFTER
