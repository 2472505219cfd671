"""The backup line's import: placing times of day, finding what its passings pair with.

Kept apart from ``edge.services.passings`` (which uses it) so that it imports no service.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Entrant, Event, Passing, PassingStatus, Race, Wave
from edge.imports.passings_csv import Placer
from edge.imports.timeofday import day_reference, place_time_of_day
from edge.timing.backup import Known


async def time_placer(session: AsyncSession, event: Event) -> Placer:
    """Place a bib's time of day near its wave start (``edge.imports.timeofday``).

    A bib without an entrant (or a race without waves) takes the event's earliest
    wave start; with no wave at all, the event's date.
    """
    zone = ZoneInfo(event.timezone)
    waves = (
        await (await session.connection()).execute(
            sa_select(col(Wave.id), col(Wave.race_id), col(Wave.start_us), col(Wave.position))
            .join(Race, col(Race.id) == col(Wave.race_id))
            .where(col(Race.event_id) == event.id)
        )
    ).all()
    start_of_wave = {wave_id: start for wave_id, _, start, _ in waves}
    first_of_race: dict[str, tuple[int, int]] = {}
    for _, race_id, start, position in waves:
        if race_id not in first_of_race or (position, start) < first_of_race[race_id]:
            first_of_race[race_id] = (position, start)
    fallback = min(start_of_wave.values()) if start_of_wave else day_reference(event.date, zone)
    entrants = await (await session.connection()).execute(
        sa_select(col(Entrant.bib), col(Entrant.race_id), col(Entrant.wave_id)).where(
            col(Entrant.event_id) == event.id
        )
    )
    reference: dict[str, int] = {}
    for bib, race_id, wave_id in entrants.all():
        if wave_id in start_of_wave:
            reference[bib] = start_of_wave[wave_id]
        elif race_id in first_of_race:
            reference[bib] = first_of_race[race_id][1]

    def place(bib: str, clock_us: int) -> int:
        return place_time_of_day(clock_us, reference.get(bib, fallback), zone)

    return place


async def known_passings(
    session: AsyncSession, event: Event, code_of: dict[str, str], bib_of: dict[str, str]
) -> list[Known]:
    """The event's counting passings with whose they are: what a backup passing pairs with.

    ``code_of``: point id -> code; ``bib_of``: tag -> bib (``passings.bibs_by_tag``).
    """
    rows = await (await session.connection()).execute(
        sa_select(col(Passing.id), col(Passing.point_id), col(Passing.bib), col(Passing.epc),
                  col(Passing.time_us))
        .where(col(Passing.event_id) == event.id, col(Passing.status) == PassingStatus.VALID)
    )  # fmt: skip
    known = []
    for passing_id, point_id, bib, epc, time_us in rows.all():
        owner = bib or (bib_of.get(epc) if epc else None)
        if owner:
            known.append(Known(passing_id, code_of[point_id], owner, time_us))
    return known
