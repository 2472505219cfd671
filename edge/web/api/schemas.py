"""Shapes of the API's JSON bodies (documented in the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from edge.domain import Entrant, Passing
from edge.domain.clock import format_clock_duration, from_us
from edge.services.events import EventOverview, RaceOverview


@dataclass
class EventSummary:
    """An event in a list."""

    slug: str
    name: str
    date: dt.date
    timezone: str


@dataclass
class WaveOut:
    """A wave and its start instant."""

    code: str
    start: dt.datetime


@dataclass
class CategoryOut:
    """A category rule."""

    code: str
    sex: str | None
    min_age: int | None
    max_age: int | None


@dataclass
class RaceOut:
    """A race with its points, waves and categories."""

    code: str
    name: str
    timing: str
    min_time: str
    cutoff: str | None
    points: list[str]
    waves: list[WaveOut]
    categories: list[CategoryOut]
    team_size: int | None


@dataclass
class PointOut:
    """A timing point."""

    code: str
    kind: str
    distance_m: int


@dataclass
class EventDetail:
    """An event with its whole definition."""

    slug: str
    name: str
    date: dt.date
    timezone: str
    age_reference: str
    timing_points: list[PointOut]
    races: list[RaceOut] = field(default_factory=list)


@dataclass
class EntrantOut:
    """An entrant."""

    bib: str
    last_name: str
    first_name: str
    sex: str | None
    birth_date: dt.date | None
    birth_year: int | None
    club: str
    team: str
    tag1: str | None
    tag2: str | None
    category_override: str | None
    manual_status: str | None
    leg: str | None = None  # the leg a relay runner runs for their team


@dataclass
class StatusIn:
    """A status set by hand: "DSQ", "DNF", or null to clear it."""

    status: Literal["DSQ", "DNF"] | None
    reason: str = ""  # required once the race's results are signed off
    by: str | None = None


@dataclass
class PassingIn:
    """A passing typed by hand or sent by another system."""

    point: str
    bib: str
    time: dt.datetime
    reason: str = ""  # required once the race's results are signed off
    by: str | None = None


@dataclass
class PassingOut:
    """A stored passing."""

    id: str
    point: str
    bib: str | None
    epc: str | None
    time: dt.datetime
    method: str
    status: str


class PassingAdded(msgspec.Struct, omit_defaults=True):
    """Whether a passing was added; the passing itself only when it was."""

    added: bool
    passing: PassingOut | None = None  # omitted, not null, when nothing was added


@dataclass
class ManualEntryOut:
    """A bib typed at a point: whether it was new, whether the bib is an entrant's."""

    added: bool
    known_bib: bool
    passing: PassingOut


def race_out(race: RaceOverview) -> RaceOut:
    """Shape a race for the API."""
    cutoff = race.race.cutoff_us
    return RaceOut(
        code=race.race.code,
        name=race.race.name,
        timing=race.race.timing,
        min_time=format_clock_duration(race.race.min_time_us),
        cutoff=format_clock_duration(cutoff) if cutoff is not None else None,
        points=[p.code for p in race.points],
        waves=[WaveOut(code=w.code, start=from_us(w.start_us)) for w in race.waves],
        categories=[
            CategoryOut(code=c.code, sex=c.sex, min_age=c.min_age, max_age=c.max_age)
            for c in race.categories
        ],
        team_size=race.race.team_size,
    )


def event_detail(overview: EventOverview) -> EventDetail:
    """Shape an event with its definition for the API."""
    event = overview.event
    return EventDetail(
        slug=event.slug,
        name=event.name,
        date=event.date,
        timezone=event.timezone,
        age_reference=event.age_reference,
        timing_points=[
            PointOut(code=p.code, kind=p.kind, distance_m=p.distance_m) for p in overview.points
        ],
        races=[race_out(r) for r in overview.races],
    )


def entrant_out(entrant: Entrant) -> EntrantOut:
    """Shape an entrant for the API."""
    return EntrantOut(
        bib=entrant.bib,
        last_name=entrant.last_name,
        first_name=entrant.first_name,
        sex=entrant.sex,
        birth_date=entrant.birth_date,
        birth_year=entrant.birth_year,
        club=entrant.club,
        team=entrant.team,
        tag1=entrant.tag1,
        tag2=entrant.tag2,
        category_override=entrant.category_override,
        manual_status=entrant.manual_status,
        leg=entrant.leg,
    )


def passing_out(passing: Passing, point: str) -> PassingOut:
    """Shape a passing for the API."""
    return PassingOut(
        id=passing.id,
        point=point,
        bib=passing.bib,
        epc=passing.epc,
        time=from_us(passing.time_us),
        method=passing.method,
        status=passing.status,
    )
