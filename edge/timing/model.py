"""Plain data the results engine works on (no ORM objects, no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

START_WINDOW_US = 5 * 60 * 1_000_000
"""How long before its wave start a START passing still counts (5 minutes)."""


class Status(StrEnum):
    """Result status of an entrant; the order here is the export order.

    ONC (on course) is never computed from passings alone: ``edge.timing.course`` turns
    a computed DNF into ONC while the race is still open.
    """

    FIN = "FIN"
    ONC = "ONC"
    DNF = "DNF"
    DNS = "DNS"
    DSQ = "DSQ"


STATUS_ORDER = {status: index for index, status in enumerate(Status)}
"""Where each status comes in a results sheet: finishers, on course, DNF, DNS, DSQ."""


class RaceFormat(StrEnum):
    """How a race is won: first to the finish, laps, most laps in a time, or a relay."""

    POINT = "point"  # start, splits, finish
    LAPS = "laps"  # a number of laps of one line
    TIMED = "timed"  # the most laps before the race's duration ends
    RELAY = "relay"  # a team's legs, one runner each


@dataclass(frozen=True, slots=True)
class Segment:
    """A part of the course between two points (a swim, a transition, a bike leg...)."""

    code: str
    start_point: str
    end_point: str


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """A race category: the first rule matching sex and age wins."""

    code: str
    sex: str | None = None
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class RaceSpec:
    """Everything about a race the engine needs.

    ``start_points``/``finish_points`` hold point codes of those kinds; ``split_points``
    holds the split point codes in course order. ``waves`` maps wave code to its
    start instant (µs since the epoch); ``first_wave`` is used for entrants with
    no wave. ``cutoff_us`` None means no cutoff.
    """

    code: str
    timing: str  # "chip" | "gun"
    min_time_us: int
    cutoff_us: int | None
    start_points: frozenset[str]
    finish_points: frozenset[str]
    split_points: tuple[str, ...]
    waves: dict[str, int]
    first_wave: str
    categories: tuple[CategoryRule, ...] = ()
    team_size: int | None = None
    event_date: dt.date = dt.date(1970, 1, 1)
    age_reference: str = "year_end"  # "year_end" | "event_date"
    format: RaceFormat = RaceFormat.POINT
    lap_point: str | None = None  # laps/timed: the line counting laps (None: the finish)
    laps: int | None = None  # laps: how many complete the race
    min_lap_us: int = 0  # laps/timed: a crossing closer than this to the last counted is ignored
    duration_us: int | None = None  # timed: laps count until wave start + duration
    lap_distance_m: int | None = None  # timed: distance = laps x this
    legs: tuple[str, ...] = ()  # relay: leg codes in running order
    handover_point: str | None = None  # relay: where a leg ends (None: the finish)
    min_leg_us: int = 0  # relay: a crossing this soon after the leg began is ignored
    segments: tuple[Segment, ...] = ()

    @property
    def counting_point(self) -> str | None:
        """The point whose crossings count laps or end legs (the finish unless named)."""
        named = self.handover_point if self.format is RaceFormat.RELAY else self.lap_point
        if named is not None:
            return named
        return min(self.finish_points) if self.finish_points else None


@dataclass(frozen=True, slots=True)
class EntrantInfo:
    """An entrant as the engine sees it."""

    bib: str
    first_name: str = ""
    last_name: str = ""
    sex: str | None = None
    birth_date: dt.date | None = None
    birth_year: int | None = None
    club: str = ""
    team: str = ""
    wave: str | None = None
    category_override: str | None = None
    manual_status: str | None = None  # "DSQ" | "DNF" | None
    leg: str | None = None  # relay: the leg this runner runs for their team


@dataclass(frozen=True, slots=True)
class PassingInfo:
    """A valid passing already resolved to a bib."""

    bib: str
    point: str
    time_us: int


NO_TIMES: Mapping[str, int | None] = MappingProxyType({})
"""The segment times and ranks of a result in a race with no segments: one read-only
mapping shared by every result (an empty dict each, twice per entrant of a live race,
held 2.6 MB at 20,000 entrants: tracemalloc). Read-only, so no holder can change it."""


def _no_times() -> Mapping[str, int | None]:
    return NO_TIMES


@dataclass(slots=True)
class EntrantResult:
    """The computed result of one entrant. Times are integer microseconds.

    ``lap_times_us``, ``segments_us`` and ``segment_ranks`` are read-only where empty
    (a tuple, ``NO_TIMES``): shared by every result, they cost nothing per entrant.
    """

    entrant: EntrantInfo
    status: Status
    category: str | None = None
    finish_us: int | None = None
    chip_start_us: int | None = None
    gun_time_us: int | None = None
    chip_time_us: int | None = None
    ranking_time_us: int | None = None
    rank: int | None = None
    sex_rank: int | None = None
    category_rank: int | None = None
    splits_us: dict[str, int | None] = field(default_factory=dict)
    laps: int | None = None  # laps/timed races: counted laps (None in other formats)
    lap_times_us: Sequence[int] = ()
    segments_us: Mapping[str, int | None] = field(default_factory=_no_times)
    segment_ranks: Mapping[str, int | None] = field(default_factory=_no_times)

    def with_status(self, status: Status) -> EntrantResult:
        """A shallow copy (as ``dataclasses.replace`` makes, at a fraction of its cost) with
        another status: a big race's live sheet marks thousands of runners on course."""
        return EntrantResult(
            self.entrant,
            status,
            self.category,
            self.finish_us,
            self.chip_start_us,
            self.gun_time_us,
            self.chip_time_us,
            self.ranking_time_us,
            self.rank,
            self.sex_rank,
            self.category_rank,
            self.splits_us,
            self.laps,
            self.lap_times_us,
            self.segments_us,
            self.segment_ranks,
        )

    @property
    def rank_key(self) -> int | None:
        """What ranks finishers, smaller first: more laps first, then the ranking time."""
        if self.ranking_time_us is None:
            return None
        if self.laps is None:
            return self.ranking_time_us
        return self.ranking_time_us - self.laps * LAP_WEIGHT_US


LAP_WEIGHT_US = 10**15
"""More than any race lasts (31 years): one lap more always outranks any time."""


@dataclass(slots=True)
class TeamResult:
    """A team's total over its best ``team_size`` finishers; rank None when incomplete."""

    team: str
    total_us: int | None
    members: list[EntrantResult]
    rank: int | None = None


@dataclass(slots=True)
class LegResult:
    """One leg of a relay team: its runner, the leg's time and its rank among that leg."""

    leg: str
    entrant: EntrantInfo | None  # None: the team has no runner for this leg
    end_us: int | None = None
    time_us: int | None = None
    rank: int | None = None


@dataclass(slots=True)
class RelayResult:
    """A relay team's result: total from the wave start to its last handover."""

    team: str
    status: Status
    legs: list[LegResult]
    wave_start_us: int
    total_us: int | None = None
    rank: int | None = None
