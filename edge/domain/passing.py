"""Passings: one crossing of a timing point by a tag or a bib."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import AutoString, Field, Index, SQLModel

from edge.domain.ids import new_id


class PassingMethod(StrEnum):
    """How the crossing instant was obtained."""

    QUADREG = "quadreg"
    STRONGEST = "strongest"
    FIRST = "first"
    MANUAL = "manual"
    IMPORT = "import"


class PassingStatus(StrEnum):
    """Whether a passing counts for results."""

    VALID = "valid"
    IGNORED = "ignored"
    STRAY = "stray"
    # A backup-line passing that does not count (edge.timing.backup): it agrees with the
    # passing it pairs with (within the tolerance), or differs and awaits the operator.
    CONFIRMS = "confirms"
    REVIEW = "review"


class Passing(SQLModel, table=True):
    """An estimated (or typed, or imported) crossing of a timing point."""

    __table_args__ = (
        Index("ix_passing_event_point_time", "event_id", "point_id", "time_us"),
        Index("ix_passing_event_bib", "event_id", "bib"),
        Index("ix_passing_event_epc", "event_id", "epc"),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", ondelete="CASCADE")
    point_id: str = Field(foreign_key="timing_point.id", ondelete="RESTRICT")
    bib: str | None = None
    epc: str | None = None
    time_us: int
    method: PassingMethod = Field(sa_type=AutoString)
    source: str = ""
    read_count: int = 0
    status: PassingStatus = Field(default=PassingStatus.VALID, sa_type=AutoString)
    created_us: int
    # A backup-line passing's pair: the stored passing it confirms or disagrees with.
    pair_id: str | None = None
    # Derived on a MASTER from a SLAVE's reads while that SLAVE's clock was further from
    # the MASTER's than the tolerance: its offset then (µs, SLAVE minus MASTER). None: trusted.
    clock_offset_us: int | None = None
