"""The edge data model: SQLModel tables and pure domain types."""

from __future__ import annotations

from edge.domain.archive import ArchiveState, EventArchive
from edge.domain.attempts import FAILED_ATTEMPT
from edge.domain.checkin import Checkin
from edge.domain.correction import Correction, CorrectionKind
from edge.domain.entrant import Entrant, ManualStatus, Sex
from edge.domain.event import (
    AgeReference,
    Category,
    Event,
    PointKind,
    Race,
    RacePoint,
    Timing,
    TimingPoint,
    Wave,
)
from edge.domain.health import ReaderHealth
from edge.domain.passing import Passing, PassingMethod, PassingStatus
from edge.domain.read import TagRead
from edge.domain.signoff import ResultsState, ResultsVersion
from edge.domain.slave_clock import SlaveClockRow
from edge.domain.sync import ChangeOp, OutboxEntry, SyncAck, SyncInbox

__all__ = [
    "FAILED_ATTEMPT",
    "AgeReference",
    "ArchiveState",
    "Category",
    "ChangeOp",
    "Checkin",
    "Correction",
    "CorrectionKind",
    "Entrant",
    "Event",
    "EventArchive",
    "ManualStatus",
    "OutboxEntry",
    "Passing",
    "PassingMethod",
    "PassingStatus",
    "PointKind",
    "Race",
    "RacePoint",
    "ReaderHealth",
    "ResultsState",
    "ResultsVersion",
    "Sex",
    "SlaveClockRow",
    "SyncAck",
    "SyncInbox",
    "TagRead",
    "Timing",
    "TimingPoint",
    "Wave",
]
