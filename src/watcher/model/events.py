"""Events: what changed between two snapshots of one ranking."""

from __future__ import annotations

from dataclasses import dataclass


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
