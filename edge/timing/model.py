"""Plain data the results engine works on (no ORM objects, no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

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


@dataclass(frozen=True, slots=True)
class PassingInfo:
    """A valid passing already resolved to a bib."""

    bib: str
    point: str
    time_us: int


@dataclass(slots=True)
class EntrantResult:
    """The computed result of one entrant. Times are integer microseconds."""

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


@dataclass(slots=True)
class TeamResult:
    """A team's total over its best ``team_size`` finishers; rank None when incomplete."""

    team: str
    total_us: int | None
    members: list[EntrantResult]
    rank: int | None = None
