"""A published list: its rows, a snapshot of it, and what fetching its pages left behind."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FetchOutcome = Literal["fetched", "not-modified", "refused", "failed"]


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


@dataclass(frozen=True, slots=True)
class HostMemory:
    """What one host asked of us, kept between checks (the `hosts` table): see `watcher.pages.fetch.Fetcher`."""

    host: str  # the host name, lower case, with ":port" when the URL names one
    not_before: datetime | None = None  # UTC; no request goes to the host before (Retry-After, backoff)
    robots: str | None = None  # the robots.txt body as last read (None: none read, or it could not be read)
    robots_status: int | None = None  # its HTTP status; None with robots_fetched_at set: the host was unreachable
    robots_fetched_at: datetime | None = None  # UTC
    crawl_delay: float | None = None  # seconds, from robots.txt for watcher (or *), at most 60


@dataclass(frozen=True, slots=True)
class ListLink:
    """Another list a list's page links to: the same ranking by one criterion, or filtered by a specialty."""

    url: str
    name: str  # the link's text, else made from its address
    kind: Literal["criterion", "specialty"]


@dataclass(frozen=True, slots=True)
class FoundList:
    """A list found linked from a watched ranking's page, watched as a ranking of its own under `name`."""

    link: ListLink
    parent: str  # the configured ranking whose page links to it
    name: str  # the ranking's name in emails and history: "<parent> — <link text>", fixed when first found
    found_at: datetime
    gone_at: datetime | None = None  # when the parent's page stopped linking it (it is then no longer checked)
