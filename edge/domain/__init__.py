"""The edge data model: SQLModel tables and pure domain types."""

from __future__ import annotations

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
from edge.domain.passing import Passing, PassingMethod, PassingStatus
from edge.domain.read import TagRead

__all__ = [
    "AgeReference",
    "Category",
    "Entrant",
    "Event",
    "ManualStatus",
    "Passing",
    "PassingMethod",
    "PassingStatus",
    "PointKind",
    "Race",
    "RacePoint",
    "Sex",
    "TagRead",
    "Timing",
    "TimingPoint",
    "Wave",
]
