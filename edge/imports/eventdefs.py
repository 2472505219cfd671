"""What a valid event file defines: plain, frozen definitions (parsed by eventfile.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from edge.domain.event import AgeReference, CrossingMethod, PointKind, Timing
from edge.timing.model import RaceFormat, Segment


@dataclass(frozen=True)
class CrossingDefinition:
    """How a point turns raw reads into passings (see edge/timing/crossing.py)."""

    method: CrossingMethod = CrossingMethod.QUADREG
    quiet_gap_us: int = 400_000
    stray_limit_us: int = 8_000_000
    repeat_window_us: int = 3_000_000


@dataclass(frozen=True)
class PointDefinition:
    """A timing point as written in the file."""

    code: str
    kind: PointKind
    distance_m: int
    crossing: CrossingDefinition = CrossingDefinition()
    no_read_alarm_us: int | None = None  # None: the box's setting (edge.alarms), 0: never


@dataclass(frozen=True)
class WaveDefinition:
    """A wave and its start instant (µs since the epoch)."""

    code: str
    start_us: int


@dataclass(frozen=True)
class CategoryDefinition:
    """A category rule (None = any sex / unbounded age)."""

    code: str
    sex: str | None
    min_age: int | None
    max_age: int | None


@dataclass(frozen=True)
class FormatRules:
    """What a race's format adds to its definition; durations in µs (see RaceSpec)."""

    lap_point: str | None = None
    laps: int | None = None
    min_lap_us: int = 0
    duration_us: int | None = None
    lap_distance_m: int | None = None
    legs: tuple[str, ...] = ()
    handover_point: str | None = None
    min_leg_us: int = 0
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class RaceDefinition:
    """A race as written in the file; durations in µs."""

    code: str
    name: str
    timing: Timing
    min_time_us: int
    cutoff_us: int | None
    points: tuple[str, ...]
    waves: tuple[WaveDefinition, ...]
    categories: tuple[CategoryDefinition, ...]
    team_size: int | None
    format: RaceFormat = RaceFormat.POINT
    rules: FormatRules = field(default_factory=FormatRules)


@dataclass(frozen=True)
class EventDefinition:
    """A whole, valid event file."""

    slug: str
    name: str
    date: dt.date
    timezone: str
    age_reference: AgeReference
    timing_points: tuple[PointDefinition, ...]
    races: tuple[RaceDefinition, ...]
    place: str | None = None  # where it takes place, as spectators read it
