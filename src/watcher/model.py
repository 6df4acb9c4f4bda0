"""The typed values that flow between the stages: rows, snapshots, events and alerts."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from typing import Literal

FetchOutcome = Literal["fetched", "not-modified", "refused", "failed"]
ValueKind = Literal["number", "percent", "range", "text", "not-given"]
AlertKind = Literal["moved", "stable", "entered", "left"]
CheckOutcome = Literal["baseline", "changed", "unchanged", "not-modified", "refused", "failed"]

# Headers are not folded below the RFC's hard limit: Python 3.11 drops the space between two encoded
# words when it folds a long non-ASCII subject (CPython gh-144156).
EMAIL_POLICY = policy.default.clone(max_line_length=998)


def normalize_name(name: str) -> str:
    """Fold a school name for matching: no case, accents, punctuation or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


@dataclass(frozen=True, slots=True)
class Row:
    """One school's line in a published list."""

    rank: int
    name: str
    slug: str | None = None
    tied: bool = False  # ex aequo: another school shares this rank
    city: str | None = None
    scores: tuple[tuple[str, float | None], ...] = ()  # (criterion label, points), in column order
    total: float | None = None
    group: str | None = None
    total_max: float | None = None  # the total's maximum where the page writes it ("103,5/119")
    score_max: tuple[tuple[str, float], ...] = ()  # (criterion label, maximum) where the page writes one ("28/30")
    link: str | None = None  # the school page's address, as the list links to it

    @property
    def bare_name(self) -> str:
        """The name without the city the classements add after it ("IMT Mines Alès - Alès" → "IMT Mines Alès")."""
        suffix = f" - {self.city}" if self.city else ""
        return self.name.removesuffix(suffix).strip() if suffix and self.name.endswith(suffix) else self.name

    @property
    def page_key(self) -> str:
        """What the school's own pages are stored under: its id from the link, else its identity by name."""
        return self.slug or self.key

    @property
    def key(self) -> str:
        """Stable identity across editions: the slug of the school page, else the folded name."""
        return f"slug:{self.slug}" if self.slug else f"name:{normalize_name(self.name)}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one ranking said at one time: its edition and every row, in published order."""

    ranking: str
    url: str
    edition: int
    rows: tuple[Row, ...]
    fetched_at: datetime
    pages: tuple[str, ...] = ()
    content_hash: str = field(default="", compare=False)
    origin: str = field(default="check", compare=False)  # "check", or "import" for a saved past edition
    ranks_derived: bool = False  # the page shows no rank: ranks were derived from the list order
    layout: str = field(default="", compare=False)  # the layout the pages were read with
    declared_count: int | None = field(default=None, compare=False)  # the count the page states, if it does

    @property
    def count_note(self) -> str | None:
        """What to say when the page states a count one off from the schools read (accepted, not hidden)."""
        if self.declared_count is None or self.declared_count == self.count:
            return None
        return f"the page says {self.declared_count} schools are ranked, {self.count} were read"

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self.edition, self.rows))

    @property
    def count(self) -> int:
        """Number of schools ranked."""
        return len(self.rows)

    def by_key(self) -> dict[str, Row]:
        """Rows indexed by school identity."""
        return {row.key: row for row in self.rows}


def content_hash(edition: int, rows: tuple[Row, ...]) -> str:
    """Hash of what was published (not of the page's bytes, which change with every ad)."""
    # A field added later enters the hash only where it is set, so lists stored before it keep their hash.
    payload = json.dumps(
        [
            edition,
            [
                [r.rank, r.name, r.slug, r.tied, r.city, r.scores, r.total, r.group]
                + ([r.total_max] if r.total_max is not None else [])
                + ([r.score_max] if r.score_max else [])
                for r in rows
            ],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# What the fetch edge reports, for the fetch log and the next conditional request.


@dataclass(frozen=True, slots=True)
class FetchLog:
    """One HTTP request, as the fetch log keeps it."""

    url: str
    started_at: datetime
    status: int | None
    bytes: int
    duration_ms: int
    outcome: FetchOutcome
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said about a page, for the next conditional request."""

    url: str
    etag: str | None
    last_modified: str | None


# Events: what changed between two snapshots of one ranking.


@dataclass(frozen=True, slots=True)
class Moved:
    key: str
    name: str
    old_rank: int
    new_rank: int
    old_tied: bool
    new_tied: bool

    @property
    def places(self) -> int:
        """Places gained (positive) or lost (negative), counted from the published ranks."""
        return self.old_rank - self.new_rank


@dataclass(frozen=True, slots=True)
class Entered:
    key: str
    name: str
    rank: int


@dataclass(frozen=True, slots=True)
class Left:
    key: str
    name: str
    rank: int


@dataclass(frozen=True, slots=True)
class Renamed:
    key: str
    old_name: str
    new_name: str


@dataclass(frozen=True, slots=True)
class ScoreChanged:
    key: str
    name: str
    criterion: str  # a criterion label, or "total"
    old: float | None
    new: float | None


@dataclass(frozen=True, slots=True)
class GroupChanged:
    key: str
    name: str
    old_group: str | None
    new_group: str | None


@dataclass(frozen=True, slots=True)
class NewEdition:
    old_edition: int
    new_edition: int


Event = Moved | Entered | Left | Renamed | ScoreChanged | GroupChanged | NewEdition


@dataclass(frozen=True, slots=True)
class GroupPlace:
    """Where a school stands inside its group: 16th of 34 in group A."""

    group: str
    position: int
    size: int

    @property
    def first_half(self) -> bool:
        return self.position * 2 <= self.size


# A school's own page.


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


@dataclass(frozen=True, slots=True)
class IndicatorChange:
    """One indicator of the school's own page that changed since the last edition."""

    label: str
    old: str
    new: str
    direction: int  # +1 progressed, -1 declined, 0 changed without a better or worse


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

    @property
    def places(self) -> int | None:
        if self.old_row is None or self.new_row is None:
            return None
        return self.old_row.rank - self.new_row.rank
