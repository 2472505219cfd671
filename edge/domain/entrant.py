"""Entrants: the people (bibs) taking part in a race."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import AutoString, Field, SQLModel, UniqueConstraint

from edge.domain.ids import new_id


class Sex(StrEnum):
    """Sex as used for rankings and categories."""

    M = "M"
    F = "F"


class ManualStatus(StrEnum):
    """A status set by hand by the timing operator, overriding the computed one."""

    DSQ = "DSQ"
    DNF = "DNF"


class Entrant(SQLModel, table=True):
    """One registered bib in an event."""

    __table_args__ = (UniqueConstraint("event_id", "bib"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    race_id: str = Field(foreign_key="race.id", index=True, ondelete="RESTRICT")
    wave_id: str | None = Field(default=None, foreign_key="wave.id", ondelete="RESTRICT")
    bib: str
    last_name: str
    first_name: str = ""
    sex: Sex | None = Field(default=None, sa_type=AutoString)
    birth_date: dt.date | None = None
    birth_year: int | None = None
    club: str = ""
    team: str = ""
    tag1: str | None = Field(default=None, index=True)
    tag2: str | None = Field(default=None, index=True)
    category_override: str | None = None
    manual_status: ManualStatus | None = Field(default=None, sa_type=AutoString)
    leg: str | None = None  # relay races: the leg this runner runs for their team
