"""Provisional, then official: signing a race's results off, and re-opening them with a reason.

:func:`require_reason` is the one check every change touching results calls (corrections,
manual and imported passings, entrant edits and statuses, chip swaps), in the transaction
making the change: refused without a reason once a race is official, else the race opens
its next provisional version recording that reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Entrant, Event, Race, ResultsState, ResultsVersion
from edge.domain.clock import now_us
from edge.errors import Conflict, InvalidInput, Problem, ReasonRequired
from edge.services.events import get_event, get_race
from edge.store.database import Database

NAME_MAX = 80


@dataclass(frozen=True)
class RaceState:
    """Where a race's results stand: its current version and whether it is signed off."""

    race: str
    version: int
    state: ResultsState
    signed_by: str | None = None
    signed_us: int | None = None
    reason: str = ""  # why the current version was opened (empty for version 1)

    @property
    def official(self) -> bool:
        """Whether the current version is signed off."""
        return self.state is ResultsState.OFFICIAL

    @property
    def label(self) -> str:
        """``Provisional``, ``Official v1``, ``Provisional v2``... as exports print it (English)."""
        if self.official:
            return f"Official v{self.version}"
        return "Provisional" if self.version == 1 else f"Provisional v{self.version}"


def state_of(race: Race, latest: ResultsVersion | None) -> RaceState:
    """A race's state from its newest version row (none yet: provisional version 1)."""
    if latest is None:
        return RaceState(race.code, 1, ResultsState.PROVISIONAL)
    return RaceState(
        race.code,
        latest.version,
        ResultsState(latest.state),
        latest.signed_by,
        latest.signed_us,
        latest.reason,
    )


async def latest_versions(
    session: AsyncSession, race_ids: Collection[str]
) -> dict[str, ResultsVersion]:
    """The newest version row of each race that has one."""
    if not race_ids:
        return {}
    query = (
        select(ResultsVersion)
        .where(col(ResultsVersion.race_id).in_(list(race_ids)))
        .order_by(col(ResultsVersion.version))
    )
    return {row.race_id: row for row in (await session.exec(query)).all()}


async def race_states(session: AsyncSession, event: Event) -> dict[str, RaceState]:
    """The state of every race of ``event``, by race code, in the races' order."""
    query = select(Race).where(Race.event_id == event.id).order_by(col(Race.position))
    races = (await session.exec(query)).all()
    latest = await latest_versions(session, [r.id for r in races])
    return {r.code: state_of(r, latest.get(r.id)) for r in races}


async def races_of(
    session: AsyncSession, event: Event, bibs: Iterable[str | None], epcs: Iterable[str | None] = ()
) -> set[str]:
    """The ids of the races whose entrants wear ``bibs`` or ``epcs`` (unknown ones: none)."""
    wanted_bibs = {b for b in bibs if b}
    wanted_tags = {e for e in epcs if e}
    if not wanted_bibs and not wanted_tags:
        return set()
    query = select(Entrant.race_id).where(
        Entrant.event_id == event.id,
        or_(
            col(Entrant.bib).in_(wanted_bibs),
            col(Entrant.tag1).in_(wanted_tags),
            col(Entrant.tag2).in_(wanted_tags),
        ),
    )
    return set((await session.exec(query)).all())


async def require_reason(
    session: AsyncSession,
    event: Event,
    race_ids: Collection[str] | None,
    reason: str | None,
    by: str,
) -> list[str]:
    """Allow a change touching ``race_ids`` (None: every race of the event); re-open them.

    Races still provisional take any change. An official race refuses a change without a
    reason (ReasonRequired: nothing was written); with one it opens its next version,
    provisional, recording the reason and ``by``. Call it in the transaction making the
    change, so the change and the re-opening are stored together or not at all. Returns
    the codes of the races re-opened.
    """
    official = await refuse_without_reason(session, event, race_ids, reason)
    if not official:
        return []
    why = (reason or "").strip()
    now = now_us()
    for race, row in official:
        session.add(
            ResultsVersion(
                race_id=race.id,
                version=row.version + 1,
                state=ResultsState.PROVISIONAL,
                reason=why[:500],
                opened_by=by,
                opened_us=now,
            )
        )
    await session.flush()
    return [race.code for race, _ in official]


async def refuse_without_reason(
    session: AsyncSession, event: Event, race_ids: Collection[str] | None, reason: str | None
) -> list[tuple[Race, ResultsVersion]]:
    """The official races among ``race_ids`` (None: all); ReasonRequired if any and no reason.

    Writes nothing: a change that stores something before its results change (a reader
    log's reads) checks with this first, then calls :func:`require_reason`.
    """
    query = select(Race).where(Race.event_id == event.id)
    if race_ids is not None:
        if not race_ids:
            return []
        query = query.where(col(Race.id).in_(list(race_ids)))
    races = (await session.exec(query.order_by(col(Race.position)))).all()
    latest = await latest_versions(session, [r.id for r in races])
    official = [
        (race, row)
        for race in races
        if (row := latest.get(race.id)) is not None and row.state == ResultsState.OFFICIAL
    ]
    if official and not (reason or "").strip():
        signed = ", ".join(f"{race.code} (official v{row.version})" for race, row in official)
        raise ReasonRequired(
            f"the results of {signed} are signed off: give a reason for this change;"
            " it will then re-open them as a new provisional version. Nothing was changed."
        )
    return official


class SignoffService:
    """Sign-off of races' results, their state and their history."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def sign(self, slug: str, race_code: str, name: str) -> RaceState:
        """Sign the race's current version off under ``name``; it becomes official."""
        signer = (name or "").strip()
        if not signer:
            raise InvalidInput(
                [Problem("name", "type the name of the person signing the results off")],
                "a sign-off needs the signer's name",
            )
        async with self.db.write() as session:
            event = await get_event(session, slug)
            race = await get_race(session, event, race_code)
            latest = (await latest_versions(session, [race.id])).get(race.id)
            if latest is not None and latest.state == ResultsState.OFFICIAL:
                raise Conflict(
                    f"the results of {race.code} are already official (v{latest.version},"
                    f" signed by {latest.signed_by}); a change with a reason re-opens them"
                )
            now = now_us()
            if latest is None:
                latest = ResultsVersion(
                    race_id=race.id, version=1, state=ResultsState.OFFICIAL,
                    opened_by=signer[:NAME_MAX], opened_us=now,
                )  # fmt: skip
            latest.state = ResultsState.OFFICIAL
            latest.signed_by, latest.signed_us = signer[:NAME_MAX], now
            session.add(latest)
            await session.flush()
            return state_of(race, latest)

    async def states(self, slug: str) -> dict[str, RaceState]:
        """The state of every race of the event, by race code."""
        async with self.db.read() as session:
            return await race_states(session, await get_event(session, slug))

    async def state(self, slug: str, race_code: str) -> RaceState:
        """The state of one race."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            race = await get_race(session, event, race_code)
            latest = (await latest_versions(session, [race.id])).get(race.id)
            return state_of(race, latest)
