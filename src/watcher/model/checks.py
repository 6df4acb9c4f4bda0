"""What a check knows before it fetches, and what it keeps between checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from watcher.model.lists import FoundList, ListLink, Snapshot, Validators
from watcher.model.school_pages import PageAsk, SchoolPage

CheckOutcome = Literal["baseline", "changed", "unchanged", "not-modified", "refused", "failed"]
# What an operator is told of a ranking.
NoticeKind = Literal["failing", "recovered", "stale", "warning", "alternating", "layout", "list-gone"]


@dataclass(frozen=True, slots=True)
class RankingState:
    """What the last checks of one ranking said, kept between checks."""

    ranking: str
    failures: int = 0  # consecutive failed checks
    failing_since: datetime | None = None
    failing_alerted: bool = False
    stale_alerted: bool = False
    last_check_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_change_at: datetime | None = None
    last_error: str | None = None
    warning: str | None = None  # what the last successful check warned of, for `watcher status`
    warning_key: str | None = None  # what it was about ("school-missing;peer-missing:…"): ops hear of each once
    accepted_edition: int | None = None  # an edition far ahead of the last, confirmed by the operator
    discovered_at: datetime | None = None  # when the lists its page links to were last collected


@dataclass(frozen=True, slots=True)
class CheckWarning:
    """Something an operator should look at, though the check went through."""

    key: str  # what it is about, the same from one check to the next: "school-missing", "peer-missing:<name>", …
    text: str


@dataclass(frozen=True, slots=True)
class Known:
    """Everything a check of one ranking needs from the database, read in one go before anything is fetched."""

    ranking: str
    snapshots: tuple[Snapshot, ...] = ()  # every snapshot of the ranking, in the order they were recorded
    # False: of the snapshots only the last this tool checked (`previous_check`), of the school pages the last kept
    # of each school: all a check needs until the list comes with content; `decide` refuses a new list without them.
    history: bool = True
    validators: dict[str, Validators] = field(default_factory=dict)  # by URL, for conditional requests
    school_pages: tuple[SchoolPage, ...] = ()  # the school pages read so far, in the order they were read
    state: RankingState | None = None
    asks: dict[str, PageAsk] = field(default_factory=dict)  # by URL: when each school page was last asked for
    lists: tuple[FoundList, ...] = ()  # the lists this ranking's page links to, found so far
    found: bool = False  # this ranking is itself a list found linked from another (the school may not be in it)

    def __post_init__(self) -> None:
        if self.state is None:
            object.__setattr__(self, "state", RankingState(self.ranking))


@dataclass(frozen=True, slots=True)
class Reading:
    """What the network gave one check: the list read whole (None when every page answered 304), or why not."""

    snapshot: Snapshot | None = None
    validators: tuple[Validators, ...] = ()
    school_pages: tuple[SchoolPage, ...] = ()  # the school pages that answered with content this time
    warnings: tuple[CheckWarning, ...] = ()
    confirmed_reads: int = 1  # 2 when a second whole read, a moment later, gave the same list
    failure: Literal["refused", "failed"] | None = None
    error: str | None = None
    proposal: str | None = None  # when no layout fits: a layout inferred from the last list, checked, to paste
    asks: tuple[PageAsk, ...] = ()  # the school pages asked for this time, and what they answered
    related: tuple[ListLink, ...] | None = None  # the lists the first page links to; None when it was not read
