"""The race an export is made of: its rows read in bulk, its results computed once.

An export reads every entrant and passing of a 20,000-runner race. Read through
SQLAlchemy, each row became a ``Row`` whose typed columns were processed one by one,
which cost more than the query, and the live path's extras (every passing's id, the
newest outbox seq) were read too (bench_exports). Here the big tables are read as the
SQLite driver's own tuples, on the connection and in the transaction of the read
session that reads the event, its corrections and its chip swaps through the ORM.
The garbage collector is paused while the sheet is made. The sheet equals
``ResultService.race_sheet``'s (tests/integration/test_export_sheet.py holds them
equal on races with corrections, swaps, waves, statuses and teams).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Event, PassingStatus
from edge.domain.clock import now_us
from edge.services.corrections import active_amendments
from edge.services.events import RaceOverview, get_event, get_race, load_overview
from edge.services.passings import swapped_chips
from edge.services.results import RaceSheet, Shared, entrant_infos, passing_infos, race_spec
from edge.store.database import Database
from edge.timing.corrections import (
    StoredPassing,
    amend_passings,
    amend_statuses,
    changes_passings,
)
from edge.timing.course import mark_on_course, relay_on_course
from edge.timing.model import EntrantInfo, PassingInfo, RaceFormat
from edge.timing.relay import compute_relay
from edge.timing.results import compute_results

_ENTRANTS = (
    "SELECT bib, first_name, last_name, sex, birth_date, birth_year, club, team, wave_id,"
    " category_override, manual_status, leg FROM entrant WHERE event_id = ? AND race_id = ?"
)
_TAGS = (
    "SELECT bib, tag1, tag2 FROM entrant WHERE event_id = ?"
    " AND (coalesce(tag1, '') != '' OR coalesce(tag2, '') != '')"
)
# Every point of the event: a correction may move a passing onto this race's points.
_PASSINGS = "SELECT point_id, bib, epc, time_us FROM passing WHERE event_id = ? AND status = ?"
_PASSINGS_WITH_IDS = (
    "SELECT id, point_id, bib, epc, time_us FROM passing WHERE event_id = ? AND status = ?"
)


async def export_sheet(
    db: Database, slug: str, race_code: str, at_us: int | None = None
) -> RaceSheet:
    """The results of one race as of ``at_us`` (default: now), as ``ResultService.race_sheet``
    computes them, for an export file."""
    with _collector_paused():
        async with db.read() as session:
            event = await get_event(session, slug)
            race = await get_race(session, event, race_code)
            overview = await load_overview(session, event)
            race_view = next(r for r in overview.races if r.race.id == race.id)
            entrants, passings = await _entrants_and_passings(session, event, race_view)
        spec = race_spec(event, race_view)
        moment = now_us() if at_us is None else at_us
        results = mark_on_course(spec, compute_results(spec, entrants, passings), moment)
        relay = []
        if spec.format is RaceFormat.RELAY:
            relay = relay_on_course(spec, compute_relay(spec, entrants, passings), moment)
        return RaceSheet(event=event, race=race_view, spec=spec, results=results, relay=relay)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused (for the whole process) while a sheet is made.

    A 20,000-runner sheet makes some 150,000 objects, none in a cycle: the collector's
    passes over them, and over everything the worker holds, took a third of a CSV's time
    (bench_exports: 0.15-0.2 s of 0.5). The pause lasts as long as the sheet takes to
    make (a fraction of a second); a pause already on (another export) is left to its
    owner, who ends it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _rows(session: AsyncSession, sql: str, *params: Any) -> list[Any]:
    """The rows of ``sql`` as the SQLite driver's tuples, in the session's transaction."""
    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    assert driver is not None  # the aiosqlite connection, open while the session is
    async with driver.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _entrants_and_passings(
    session: AsyncSession, event: Event, race: RaceOverview
) -> tuple[list[EntrantInfo], list[PassingInfo]]:
    """The race's entrants and the passings of the event resolved to their bibs, corrections
    applied (as ``edge.services.results`` reads them for every page and screen)."""
    amendments = await active_amendments(session, event)
    statuses = amend_statuses(amendments)
    wave_codes = {w.id: w.code for w in race.waves}
    shared = Shared()
    entrant_rows = await _rows(session, _ENTRANTS, event.id, race.race.id)
    entrants = entrant_infos(entrant_rows, wave_codes, statuses, shared)
    # Tags of every entrant of the event: a tag read must resolve to its wearer even
    # when the wearer runs another race (it is then ignored by this race).
    tagged = await _rows(session, _TAGS, event.id)
    bib_of_tag = {tag: bib for bib, *tags in tagged for tag in tags if tag}
    bib_of_tag |= await swapped_chips(session, event)
    valid = PassingStatus.VALID.value
    if changes_passings(amendments):
        found = await _rows(session, _PASSINGS_WITH_IDS, event.id, valid)
        stored = [StoredPassing(i, point, bib, epc, t) for i, point, bib, epc, t in found]
        amended = [(p.point, p.bib, p.epc, p.time_us) for p in amend_passings(stored, amendments)]
    else:  # the usual race: no passing corrected, the rows are the passings
        amended = await _rows(session, _PASSINGS, event.id, valid)
    code_of_point = {p.id: p.code for p in race.points}
    return entrants, passing_infos(amended, code_of_point, bib_of_tag, shared)
