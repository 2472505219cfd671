"""Corrections: what a timing operator changed by hand, kept as their own rows.

Passings stay as the readers (or the operator's keyboard) made them; results
apply the active corrections on top (``edge/timing/corrections.py``). Nothing
is ever deleted: undoing a correction stamps it ``undone_us``/``undone_by``.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import AutoString, Field, Index, SQLModel

from edge.domain.ids import new_id


class CorrectionKind(StrEnum):
    """What a correction does."""

    MOVE = "move"  # a passing gets another time and/or point
    IGNORE = "ignore"  # a passing no longer counts
    ADD = "add"  # a passing the readers missed (bib, point, time)
    STATUS = "status"  # DSQ / DNF for a bib, or back to the status computed from passings
    # A backup-line passing in review: the operator's pick (status "chip" or "backup");
    # "backup" moves the paired passing (target_*) to the backup's time (time_us).
    CHOOSE = "choose"
    # A chip re-assigned to another bib (swapped bibs): every passing and check-in of
    # the chip (target_epc) counts for ``bib`` from now on, its former wearer's none.
    SWAP = "swap"


class Correction(SQLModel, table=True):
    """One change made by hand, with who made it and when, and whether it was undone."""

    __table_args__ = (Index("ix_correction_event_created", "event_id", "created_us"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", ondelete="CASCADE")
    kind: CorrectionKind = Field(sa_type=AutoString)
    # move/ignore: the passing corrected; its point, tag and time as stored then, so
    # the correction follows it if a rebuild from the reads gives it another id.
    # choose: the backup passing in review; target_*: the passing it pairs with.
    passing_id: str | None = None
    target_point_id: str | None = Field(
        default=None, foreign_key="timing_point.id", ondelete="RESTRICT"
    )
    target_epc: str | None = None
    target_time_us: int | None = None
    # move: the new point and time; add: the passing's point and time.
    point_id: str | None = Field(default=None, foreign_key="timing_point.id", ondelete="RESTRICT")
    time_us: int | None = None
    bib: str | None = None  # add, status; move/ignore: whose passing it was (for people)
    status: str | None = None  # status: "DSQ" | "DNF", None = computed from passings
    reason: str = ""
    created_by: str
    created_us: int
    undone_by: str | None = None
    undone_us: int | None = None
