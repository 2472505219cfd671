"""Event, its timing points, races, waves and categories (SQLModel tables)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import AutoString, Field, SQLModel, UniqueConstraint

from edge.domain.ids import new_id


class PointKind(StrEnum):
    """What a timing point measures."""

    START = "start"
    SPLIT = "split"
    FINISH = "finish"


class CrossingMethod(StrEnum):
    """Where a passing is placed within a pass of reads (edge/timing/crossing.py)."""

    QUADREG = "quadreg"  # peak of a robust parabola fitted to RSSI (falls back to strongest)
    STRONGEST = "strongest"  # the read with the highest RSSI
    FIRST = "first"  # the first read of the pass


class Timing(StrEnum):
    """Which time ranks a race: chip (own start) or gun (wave start)."""

    CHIP = "chip"
    GUN = "gun"


class AgeReference(StrEnum):
    """How an entrant's age is computed for categories."""

    YEAR_END = "year_end"
    EVENT_DATE = "event_date"


class Event(SQLModel, table=True):
    """One race day (or weekend) timed by a box."""

    id: str = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(unique=True, index=True)
    name: str
    date: dt.date
    timezone: str
    age_reference: AgeReference = Field(default=AgeReference.YEAR_END, sa_type=AutoString)
    place: str | None = None  # where it takes place (a town, a park): central's public list


class TimingPoint(SQLModel, table=True):
    """A place on the course where passings are recorded (a mat, an antenna set)."""

    __tablename__ = "timing_point"
    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    code: str
    kind: PointKind = Field(sa_type=AutoString)
    distance_m: int = 0
    position: int = 0
    # How raw reads become passings here (see edge/timing/crossing.py).
    crossing_method: CrossingMethod = Field(default=CrossingMethod.QUADREG, sa_type=AutoString)
    quiet_gap_us: int = 400_000
    stray_limit_us: int = 8_000_000
    repeat_window_us: int = 3_000_000
    # Alarm when the point reads nothing this long while its race is open (edge.alarms);
    # None: the box's alarm_no_read_s setting, 0: never.
    no_read_alarm_us: int | None = None


class Race(SQLModel, table=True):
    """A competition within an event (10 km, half marathon...)."""

    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    code: str
    name: str
    timing: Timing = Field(default=Timing.CHIP, sa_type=AutoString)
    min_time_us: int = 0
    cutoff_us: int | None = None
    team_size: int | None = None
    position: int = 0
    # "point" | "laps" | "timed" | "relay" (edge.timing.model.RaceFormat) and that
    # format's settings as a JSON object (edge.services.race_rules reads and writes it).
    format: str = "point"
    format_rules: str = "{}"


class RacePoint(SQLModel, table=True):
    """The ordered timing points a race goes through."""

    __tablename__ = "race_point"

    race_id: str = Field(foreign_key="race.id", primary_key=True, ondelete="CASCADE")
    point_id: str = Field(foreign_key="timing_point.id", primary_key=True, ondelete="RESTRICT")
    position: int


class Wave(SQLModel, table=True):
    """A group of a race's entrants started together at one instant."""

    __table_args__ = (UniqueConstraint("race_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    race_id: str = Field(foreign_key="race.id", index=True, ondelete="CASCADE")
    code: str
    start_us: int
    position: int = 0


class Category(SQLModel, table=True):
    """An age/sex rule of a race; the first matching rule wins."""

    __table_args__ = (UniqueConstraint("race_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    race_id: str = Field(foreign_key="race.id", index=True, ondelete="CASCADE")
    code: str
    position: int
    sex: str | None = None
    min_age: int | None = None
    max_age: int | None = None
