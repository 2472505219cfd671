"""Results of a race: gathers entrants and passings, runs the pure engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Event, PassingStatus, PointKind
from edge.domain.clock import now_us
from edge.services.corrections import active_amendments
from edge.services.events import RaceOverview, get_event, get_race, load_overview
from edge.services.passing_ids import PassingIds
from edge.services.passings import bibs_by_tag
from edge.services.race_rules import rules_from_json
from edge.store.database import Database
from edge.timing.corrections import (
    StoredPassing,
    amend_passings,
    amend_statuses,
    changes_passings,
)
from edge.timing.course import CourseMarks, mark_on_course, relay_on_course
from edge.timing.export import Cell, relay_columns, relay_rows, result_columns, result_rows
from edge.timing.model import (
    CategoryRule,
    EntrantInfo,
    EntrantResult,
    PassingInfo,
    RaceFormat,
    RaceSpec,
    RelayResult,
    TeamResult,
)
from edge.timing.relay import compute_relay
from edge.timing.results import compute_results
from edge.timing.teams import compute_teams

T = TypeVar("T")


@dataclass(frozen=True)
class RaceSheet:
    """Everything needed to show or export a race's results."""

    event: Event
    race: RaceOverview
    spec: RaceSpec
    results: list[EntrantResult]
    relay: list[RelayResult] = field(default_factory=list)  # relay races: one per team

    @cached_property
    def teams(self) -> list[TeamResult]:
        """The team ranking, worked out the first time it is asked for: a live sheet is
        made for every new passing, and screens and consoles never ask (bench_live)."""
        return compute_teams(self.spec, self.results) if self.spec.team_size else []


def sheet_rows(sheet: RaceSheet) -> tuple[list[str], list[dict[str, Cell]]]:
    """The race's results sheet as columns and rows: one per team in a relay, else per entrant."""
    if sheet.spec.format is RaceFormat.RELAY:
        return relay_columns(sheet.spec), relay_rows(sheet.relay)
    return result_columns(sheet.spec), result_rows(sheet.results, sheet.spec)


@dataclass(frozen=True)
class RaceInputs:
    """What a race's results are computed from, as stored now.

    ``known`` holds the ids of the event's valid stored passings (as hashes:
    ``edge.services.passing_ids``), and ``following`` says
    whether a correction is looking for the passing it targets (its passing was rebuilt:
    ``edge.timing.corrections.resolve_target``); both let the live path tell a new
    passing it may add by itself from a change that needs a full recompute.
    """

    event: Event
    race: RaceOverview
    spec: RaceSpec
    entrants: list[EntrantInfo]
    passings: list[PassingInfo]
    known: PassingIds
    bib_of_tag: dict[str, str]
    following: bool
    seq: int  # the newest outbox seq when they were read: they include every change to it


def race_results(
    inputs: RaceInputs,
    results: list[EntrantResult],
    moment: int,
    marks: CourseMarks | None = None,
) -> RaceSheet:
    """The sheet of a race from its computed results (in export order) as of ``moment``;
    ``marks``: a live race's, which keeps its runners on course from one sheet to the next."""
    spec = inputs.spec
    marked = mark_on_course(spec, results, moment) if marks is None else marks.mark(results, moment)
    relay = []
    if spec.format is RaceFormat.RELAY:
        relay = relay_on_course(spec, compute_relay(spec, inputs.entrants, inputs.passings), moment)
    return RaceSheet(event=inputs.event, race=inputs.race, spec=spec, results=marked, relay=relay)


_NEWEST_SEQ = text("SELECT coalesce(max(seq), 0) FROM outbox")
_ENTRANT_ROWS = text(
    "SELECT bib, first_name, last_name, sex, birth_date, birth_year, club, team, wave_id,"
    " category_override, manual_status, leg FROM entrant"
    " WHERE event_id = :event AND race_id = :race"
)
PASSING_ROWS_AT_ONCE = 4_096
"""Passing rows read from the database at a time while a race's inputs are read."""
_PASSING_ROWS = text(
    "SELECT id, point_id, bib, epc, time_us FROM passing"
    " WHERE event_id = :event AND status = :valid"
)


class ResultService:
    """Computes results from stored passings (nothing typed by hand but overrides)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def race_sheet(self, slug: str, race_code: str, at_us: int | None = None) -> RaceSheet:
        """Compute the results and team results of one race as of ``at_us`` (default: now).

        The instant decides whether a runner with no finish is on course or DNF
        (``edge.timing.course``); every page, screen, export and the published results
        take their statuses from here.
        """
        inputs = await self.race_inputs(slug, race_code)
        moment = now_us() if at_us is None else at_us
        results = compute_results(inputs.spec, inputs.entrants, inputs.passings)
        return race_results(inputs, results, moment)

    async def race_inputs(self, slug: str, race_code: str) -> RaceInputs:
        """Everything a race's results are computed from, read in one transaction."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            race = await get_race(session, event, race_code)
            overview = await load_overview(session, event)
            race_view = next(r for r in overview.races if r.race.id == race.id)
            return await _race_inputs(session, event, race_view)


def race_spec(event: Event, race: RaceOverview) -> RaceSpec:
    """Build the engine's view of a race from its stored definition."""
    kinds = {p.code: p.kind for p in race.points}
    rules = rules_from_json(race.race.format_rules)
    return RaceSpec(
        code=race.race.code,
        timing=race.race.timing,
        min_time_us=race.race.min_time_us,
        cutoff_us=race.race.cutoff_us,
        start_points=frozenset(c for c, k in kinds.items() if k == PointKind.START),
        finish_points=frozenset(c for c, k in kinds.items() if k == PointKind.FINISH),
        split_points=tuple(p.code for p in race.points if p.kind == PointKind.SPLIT),
        waves={w.code: w.start_us for w in race.waves},
        first_wave=race.waves[0].code,
        categories=tuple(
            CategoryRule(code=c.code, sex=c.sex, min_age=c.min_age, max_age=c.max_age)
            for c in race.categories
        ),
        team_size=race.race.team_size,
        event_date=event.date,
        age_reference=event.age_reference,
        format=RaceFormat(race.race.format),
        lap_point=rules.lap_point,
        laps=rules.laps,
        min_lap_us=rules.min_lap_us,
        duration_us=rules.duration_us,
        lap_distance_m=rules.lap_distance_m,
        legs=rules.legs,
        handover_point=rules.handover_point,
        min_leg_us=rules.min_leg_us,
        segments=rules.segments,
    )


async def _race_inputs(session: AsyncSession, event: Event, race: RaceOverview) -> RaceInputs:
    wave_codes = {w.id: w.code for w in race.waves}
    # Tags of every entrant of the event: a tag read must resolve to its wearer
    # even when the wearer runs another race (it is then ignored by this race).
    # Each text the database hands out is a new string: the same club, team, first name or
    # bib (an entrant's, its tags', then each of its passings') held once, not once per row.
    shared = Shared()
    bib_of_tag = {tag: shared(bib) for tag, bib in (await bibs_by_tag(session, event)).items()}
    amendments = await active_amendments(session, event)
    statuses = amend_statuses(amendments)
    # The columns, not ORM objects: a mapped Entrant costs ~1 KB more than its row, times
    # 20,000 entrants, for as long as the sheet is being built. Plain SQL: SQLAlchemy's
    # processing of each typed column of each row took as long as the query (bench_exports).
    query = _ENTRANT_ROWS.bindparams(event=event.id, race=race.race.id)
    # (Typed Any: past ten columns SQLAlchemy's row type loses each column's own type.)
    entrant_rows: Sequence[Any] = (await (await session.connection()).execute(query)).all()
    entrants = entrant_infos(entrant_rows, wave_codes, statuses, shared)
    code_of_point = {p.id: p.code for p in race.points}
    newest = (await session.exec(_NEWEST_SEQ)).one()[0]  # type: ignore[call-overload]
    # Asked of the ids themselves, not of ``known``'s hashes: a collision there would
    # hide a correction still looking for its passing.
    targets = {
        a.passing_id
        for a in amendments
        if a.kind in ("move", "ignore") and a.passing_id is not None
    }
    targeted: set[str] = set()
    corrected = changes_passings(amendments)
    stored: list[StoredPassing] = []
    passings: list[PassingInfo] = []
    known = PassingIds()
    # Every point of the event: a correction may move a passing onto this race's points.
    statement = _PASSING_ROWS.bindparams(event=event.id, valid=PassingStatus.VALID.value)
    # Read in parts: the rows of a big race's ~60,000 passings all at once were the peak of
    # loading it (~20 MB, tracemalloc), and the heap they left in holes stayed serve's RSS.
    found = await (await session.connection()).stream(statement)
    async for part in found.partitions(PASSING_ROWS_AT_ONCE):
        known.update(row[0] for row in part)
        targeted.update(row[0] for row in part if row[0] in targets)
        if corrected:
            stored += (StoredPassing(i, point, bib, epc, t) for i, point, bib, epc, t in part)
        else:  # the usual race: no passing corrected, the rows are the passings
            rows = ((point, bib, epc, t) for _, point, bib, epc, t in part)
            passings += passing_infos(rows, code_of_point, bib_of_tag, shared)
    if corrected:
        amended = ((p.point, p.bib, p.epc, p.time_us) for p in amend_passings(stored, amendments))
        passings = passing_infos(amended, code_of_point, bib_of_tag, shared)
    following = bool(targets - targeted)
    return RaceInputs(
        event=event,
        race=race,
        spec=race_spec(event, race),
        entrants=entrants,
        passings=passings,
        known=known,
        bib_of_tag=bib_of_tag,
        following=following,
        seq=int(newest),
    )


def entrant_infos(
    rows: Iterable[Sequence[Any]],
    wave_codes: Mapping[str, str],
    statuses: Mapping[str, str | None],
    shared: Callable[[Any], Any],
) -> list[EntrantInfo]:
    """The engine's entrants from ``_ENTRANT_ROWS``' columns, unpacked by position (reading
    12 attributes of each of 20,000 Row objects by name took as long as the query itself:
    bench_exports); an active status correction wins over the entrant's manual status."""
    return [
        EntrantInfo(
            bib=shared(bib),
            first_name=shared(first_name),
            last_name=shared(last_name),
            sex=shared(sex),
            birth_date=dt.date.fromisoformat(birth_date) if birth_date else None,
            birth_year=shared(birth_year),
            club=shared(club),
            team=shared(team),
            wave=wave_codes.get(wave_id) if wave_id else None,
            category_override=shared(category_override),
            manual_status=statuses.get(bib, manual_status),
            leg=leg,
        )
        for (
            bib,
            first_name,
            last_name,
            sex,
            birth_date,
            birth_year,
            club,
            team,
            wave_id,
            category_override,
            manual_status,
            leg,
        ) in rows
    ]


def passing_infos(
    amended: Iterable[tuple[str, str | None, str | None, int]],
    code_of_point: Mapping[str, str],
    bib_of_tag: Mapping[str, str],
    shared: Callable[[Any], Any],
) -> list[PassingInfo]:
    """The engine's passings from (point id, bib, EPC, time) rows: a chip read goes to its
    wearer; a passing nobody wears, or at a point of another race, is left out."""
    passings = []
    for point, bib, epc, time_us in amended:
        owner = bib or (bib_of_tag.get(epc) if epc else None)
        if owner is not None and point in code_of_point:
            passings.append(
                PassingInfo(bib=shared(owner), point=code_of_point[point], time_us=time_us)
            )
    return passings


class Shared:
    """Hands out one object for equal values: ``shared(text)`` is the first equal text seen.

    A 20,000-entrant race kept in memory held ~15 MB of small strings read from the
    database (tracemalloc), most of them copies: a bib once per entrant and once per
    passing, a club or a team once per member.
    """

    def __init__(self) -> None:
        self._seen: dict[object, object] = {}

    def __call__(self, value: T) -> T:
        return cast(T, self._seen.setdefault(value, value))
