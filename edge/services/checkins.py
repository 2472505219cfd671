"""Chip check before the start: who was checked in, who was not, and chip swaps (issue 21).

The reader service stores check-in passes (``edge.store.checkins``); here they are
told apart: a chip nobody wears is *unknown*, the first pass of a runner is *checked*,
any later pass of the same runner (either of their chips) is *again*. Whose chip it is
comes from ``bibs_by_tag`` at the time of asking, so a chip swap made after the
check-in moves it too. A swap itself is a correction (kind ``swap``), made, listed,
undone and replicated like every other one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Checkin, Entrant, Event, Race, Wave
from edge.services.arrivals import pick_event
from edge.services.corrections import (
    CorrectionRequest,
    CorrectionService,
    CorrectionView,
    time_of_day,
)
from edge.services.live import ChangeWatch
from edge.services.passings import bibs_by_tag
from edge.store.database import Database

RECENT = 12
"""Check-ins the page lists under the latest one."""
POLL_S = 0.25
"""How often the live page looks for a new check-in (a chip shows within half a second)."""
MISSING_SHOWN = 500
"""Runners not yet checked listed per race (the count is always whole)."""

_VERSION = text(
    "SELECT (SELECT coalesce(max(rowid), 0) FROM checkin WHERE event_id = :event),"
    " (SELECT count(*) FROM correction WHERE event_id = :event AND kind = 'swap'),"
    " (SELECT count(*) FROM correction WHERE event_id = :event AND kind = 'swap'"
    " AND undone_us IS NOT NULL)"
)


class CheckinState:
    """What a check-in pass means for the volunteer at the table."""

    CHECKED = "checked"  # a runner's first check-in
    AGAIN = "again"  # the runner was checked before (this chip or their other one)
    UNKNOWN = "unknown"  # no entrant wears this chip


@dataclass(frozen=True)
class CheckinView:
    """One pass over the check-in antennas, with whose chip it is now."""

    id: str
    epc: str
    time_us: int
    time: str  # time of day in the event's zone
    state: str
    bib: str | None
    name: str
    club: str
    race: str | None  # the race's name
    wave: str | None
    first_time: str | None  # again: when the runner was first checked


@dataclass(frozen=True)
class MissingRunner:
    """A runner not checked in yet."""

    bib: str
    name: str
    club: str
    wave: str | None


@dataclass(frozen=True)
class RaceCheck:
    """A race's check-in count and the runners not checked yet (bib order)."""

    code: str
    name: str
    entrants: int
    checked: int
    missing: list[MissingRunner]

    @property
    def missing_count(self) -> int:
        """How many of the race's runners have not been checked."""
        return self.entrants - self.checked


@dataclass(frozen=True)
class CheckinBoard:
    """What the check-in page shows: the latest passes and every race's count."""

    slug: str
    name: str
    recent: list[CheckinView]  # newest first
    races: list[RaceCheck]
    version: tuple[int, int, int]


_Roster = tuple[dict[str, "_Person"], list[tuple[str, str]], dict[str, str]]
"""The event's entrants by bib, its races (code, name) and every chip's wearer."""


@dataclass(frozen=True)
class _Person:
    bib: str
    name: str
    club: str
    race_code: str
    race: str
    wave: str | None


class CheckinService:
    """Check-ins of an event, the runners still to check, and chip swaps."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Who wears which chip, kept while the results' version stands still: a live page
        # gets a new board per check-in, and reading 20,000 entrants and their tags each
        # time cost 0.6 s (a check-in, a swap or an edited entrant moves the version, a
        # check-in does not: see live_race.NOT_RESULTS).
        self._watch = ChangeWatch(db)
        self._roster: tuple[int, str, _Roster] | None = None

    async def event(self, wanted: str | None, role_event: str | None) -> Event:
        """The event asked for, else the box's event (reader.json), else the most recent one."""
        async with self.db.read() as session:
            return await pick_event(session, wanted, role_event)

    async def board(self, slug: str, *, recent: int = RECENT, missing: int = 0) -> CheckinBoard:
        """The latest ``recent`` passes and each race's count (and up to ``missing`` names)."""
        async with self.db.read() as session:
            event = await _event(session, slug)
            version = await _version(session, event)
            stamp = await self._watch.version()
            if self._roster is None or self._roster[:2] != (stamp, event.id):
                people, races = await _people(session, event)
                self._roster = (stamp, event.id, (people, races, await bibs_by_tag(session, event)))
            people, races, owner = self._roster[2]
            # Columns, not ORM rows: 15,000 mapped Checkins took a second and a half.
            query = (
                sa_select(col(Checkin.id), col(Checkin.epc), col(Checkin.first_us))
                .where(col(Checkin.event_id) == event.id)
                .order_by(col(Checkin.first_us), col(Checkin.id))
            )
            passes = (await (await session.connection()).execute(query)).all()
        first: dict[str, int] = {}  # bib -> time of their first check-in
        told: list[tuple[str, str, int, str, _Person | None, int | None]] = []
        for pass_id, epc, first_us in passes:
            bib = owner.get(epc)
            person = people.get(bib) if bib else None
            state, earlier = CheckinState.UNKNOWN, None
            if person is not None:
                earlier = first.get(person.bib)
                state = CheckinState.CHECKED if earlier is None else CheckinState.AGAIN
                first.setdefault(person.bib, first_us)
            told.append((pass_id, epc, first_us, state, person, earlier))
        views = [_view(event, *item) for item in reversed(told[-recent:])] if recent else []
        checks = []
        for code, name in races:
            field = [p for p in people.values() if p.race_code == code]
            absent = [p for p in field if p.bib not in first]
            shown = sorted(absent, key=lambda p: _bib_order(p.bib))[:missing] if missing else []
            checks.append(
                RaceCheck(
                    code=code,
                    name=name,
                    entrants=len(field),
                    checked=len(field) - len(absent),
                    missing=[MissingRunner(p.bib, p.name, p.club, p.wave) for p in shown],
                )
            )
        return CheckinBoard(
            slug=event.slug,
            name=event.name,
            recent=views,
            races=checks,
            version=version,
        )

    async def follow(self, slug: str, poll_s: float = POLL_S) -> AsyncIterator[CheckinBoard]:
        """The board now, then again after every new check-in or swap (polled), forever."""
        seen: tuple[int, int, int] | None = None
        while True:
            async with self.db.read() as session:
                version = await _version(session, await _event(session, slug))
            if version != seen:
                board = await self.board(slug)
                seen = board.version
                yield board
            await asyncio.sleep(poll_s)

    async def swap(
        self, slug: str, epc: str, bib: str, reason: str, by: str | None
    ) -> CorrectionView:
        """Give chip ``epc`` to ``bib`` (a correction with who, when and why); see corrections."""
        request = CorrectionRequest(kind="swap", epc=epc, bib=bib, reason=reason)
        return await CorrectionService(self.db).apply(slug, request, by or "")

    async def swaps(self, slug: str) -> list[CorrectionView]:
        """The event's chip swaps, newest first, undone ones included."""
        every = await CorrectionService(self.db).list_corrections(slug)
        return [c for c in every if c.kind == "swap"]


def board_json(board: CheckinBoard) -> dict[str, Any]:
    """The board as the live page receives it."""
    return {
        "version": list(board.version),
        "recent": [vars(v) for v in board.recent],
        "races": [
            {
                "code": r.code,
                "name": r.name,
                "entrants": r.entrants,
                "checked": r.checked,
                "missing": r.missing_count,
            }
            for r in board.races
        ],
    }


async def _event(session: AsyncSession, slug: str) -> Event:
    return await pick_event(session, slug, None)


async def _version(session: AsyncSession, event: Event) -> tuple[int, int, int]:
    row = (await session.exec(_VERSION.bindparams(event=event.id))).one()  # type: ignore[call-overload]
    return (int(row[0]), int(row[1]), int(row[2]))


async def _people(
    session: AsyncSession, event: Event
) -> tuple[dict[str, _Person], list[tuple[str, str]]]:
    """The event's entrants by bib, and its races (code, name) in order."""
    races = (
        await session.exec(
            select(Race).where(Race.event_id == event.id).order_by(col(Race.position))
        )
    ).all()
    race_of = {r.id: (r.code, r.name) for r in races}
    waves = (
        await session.exec(select(Wave.id, Wave.code).join(Race).where(Race.event_id == event.id))
    ).all()
    wave_code = dict(waves)
    columns = (
        Entrant.bib,
        Entrant.first_name,
        Entrant.last_name,
        Entrant.club,
        Entrant.race_id,
        Entrant.wave_id,
    )
    query = sa_select(*(col(c) for c in columns)).where(col(Entrant.event_id) == event.id)
    rows: Sequence[Any] = (await (await session.connection()).execute(query)).all()
    people = {
        bib: _Person(
            bib=bib,
            name=f"{first} {last}".strip(),
            club=club,
            race_code=race_of.get(race_id, ("", ""))[0],
            race=race_of.get(race_id, ("", ""))[1],
            wave=wave_code.get(wave_id) if wave_id else None,
        )
        for bib, first, last, club, race_id, wave_id in rows
    }
    return people, [(r.code, r.name) for r in races]


def _view(
    event: Event,
    pass_id: str,
    epc: str,
    first_us: int,
    state: str,
    person: _Person | None,
    earlier_us: int | None,
) -> CheckinView:
    return CheckinView(
        id=pass_id,
        epc=epc,
        time_us=first_us,
        time=time_of_day(first_us, event.timezone),
        state=state,
        bib=person.bib if person else None,
        name=person.name if person else "",
        club=person.club if person else "",
        race=person.race if person else None,
        wave=person.wave if person else None,
        first_time=time_of_day(earlier_us, event.timezone) if earlier_us is not None else None,
    )


def _bib_order(bib: str) -> tuple[int, int, str]:
    """Bibs in number order (2 before 10), other ones after, as text."""
    return (0, int(bib), "") if bib.isdigit() else (1, 0, bib)
