"""The vocabulary: the typed values that flow between the stages, from a list's rows to an alert.

`lists` (rows, snapshots, fetch log), `events` (what changed), `school_pages` (a school's own page),
`alerts` (what comms hear, with every figure), `checks` (what a check knows and keeps).
"""

from watcher.model.alerts import (
    EMAIL_POLICY,
    Alert,
    AlertKind,
    CriterionDelta,
    GroupPlace,
    MailKind,
    PeerMove,
    Share,
    Standing,
    SubsetPlace,
)
from watcher.model.checks import CheckOutcome, CheckWarning, Known, NoticeKind, RankingState, Reading
from watcher.model.events import Entered, Event, GroupChanged, Left, Moved, NewEdition, Renamed, ScoreChanged
from watcher.model.lists import (
    FetchLog,
    FetchOutcome,
    FoundList,
    HostMemory,
    ListLink,
    Row,
    Snapshot,
    Validators,
    content_hash,
    normalize_name,
)
from watcher.model.school_pages import SCORE_SUFFIX, Indicator, IndicatorChange, PageAsk, SchoolPage, Value, ValueKind

__all__ = [
    "EMAIL_POLICY",
    "SCORE_SUFFIX",
    "Alert",
    "AlertKind",
    "CheckOutcome",
    "CheckWarning",
    "CriterionDelta",
    "Entered",
    "Event",
    "FetchLog",
    "FetchOutcome",
    "FoundList",
    "GroupChanged",
    "GroupPlace",
    "HostMemory",
    "Indicator",
    "IndicatorChange",
    "Known",
    "Left",
    "ListLink",
    "MailKind",
    "Moved",
    "NewEdition",
    "NoticeKind",
    "PageAsk",
    "PeerMove",
    "RankingState",
    "Reading",
    "Renamed",
    "Row",
    "SchoolPage",
    "ScoreChanged",
    "Share",
    "Snapshot",
    "Standing",
    "SubsetPlace",
    "Validators",
    "Value",
    "ValueKind",
    "content_hash",
    "normalize_name",
]
