"""Provisional and official results: each race's versions, signed off or re-opened.

A race's results are provisional (version 1) until an authorised person signs them
off: that version becomes official, with who signed and when. A change touching the
race afterwards needs a reason and opens the next version, provisional again, with
that reason, until the next sign-off. Rows are never deleted: they are the history.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import AutoString, Field, SQLModel, UniqueConstraint

from edge.domain.ids import new_id


class ResultsState(StrEnum):
    """Whether a race's results may still change without a reason."""

    PROVISIONAL = "provisional"
    OFFICIAL = "official"


class ResultsVersion(SQLModel, table=True):
    """One version of a race's results: opened (v1 by the first sign-off), maybe signed."""

    __tablename__ = "results_version"
    __table_args__ = (UniqueConstraint("race_id", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    race_id: str = Field(foreign_key="race.id", index=True, ondelete="CASCADE")
    version: int
    state: ResultsState = Field(sa_type=AutoString)
    # Why this version was opened: the reason of the change made after the sign-off of
    # the version before (empty for version 1).
    reason: str = ""
    opened_by: str
    opened_us: int
    signed_by: str | None = None  # the name the authorised person typed
    signed_us: int | None = None
