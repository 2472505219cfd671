"""The speaker screen's board: last arrivals and runners arriving soon, kept live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Event, PointKind
from edge.domain.clock import format_duration, from_us, now_us
from edge.errors import ChronoEdgeError, NotFound
from edge.roleconfig import load_role
from edge.services.events import get_event, get_race, load_overview
from edge.services.live import NOTICE_S, live_results
from edge.services.results import RaceSheet
from edge.store.database import Database
from edge.timing.arrivals import Announced, Arrival, Course, arriving_soon, race_arrivals
from edge.timing.model import RaceFormat

ARRIVALS_SHOWN = 10
"""As many as a 1080-line TV shows in full at the screen's type size."""
SOON_SHOWN = 8
REFRESH_S = 15.0
"""A board is pushed at least this often: "arriving soon" ages without any new passing."""


@dataclass(frozen=True)
class BoardScope:
    """Which event (and optionally which race) a screen shows."""

    slug: str
    name: str
    timezone: str
    races: list[str]  # codes shown, in course order
    race: str | None  # the one race asked for, else None (all of the event's races)


def course_of(sheet: RaceSheet) -> Course:
    """The race's last split before the finish and the distances to project a finish.

    Only a point race projects arrivals: in a lap race or a relay the last split is
    passed on every lap or leg, and its distance says nothing of the finish.
    """
    points = sheet.race.points
    point_race = sheet.spec.format is RaceFormat.POINT
    splits = [p for p in points if p.kind == PointKind.SPLIT and point_race]
    finish = next((p for p in points if p.kind == PointKind.FINISH), None)
    last = splits[-1] if splits else None
    return Course(
        race=sheet.race.race.code,
        last_split=last.code if last else None,
        split_m=last.distance_m if last else 0,
        finish_m=finish.distance_m if finish else 0,
    )


class ArrivalService:
    """Arrivals of an event for the speaker screen."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.live = live_results(db)

    async def scope(
        self, wanted: str | None, role_event: str | None, race: str | None = None
    ) -> BoardScope:
        """The event asked for, else the box's event (reader.json), else the most recent one."""
        async with self.db.read() as session:
            event = await pick_event(session, wanted, role_event)
            overview = await load_overview(session, event)
            codes = [r.race.code for r in overview.races]
            chosen = (await get_race(session, event, race)).code if race else None
        return BoardScope(
            slug=event.slug,
            name=event.name,
            timezone=event.timezone,
            races=[chosen] if chosen else codes,
            race=chosen,
        )

    async def board(
        self, scope: BoardScope, *, limit: int = ARRIVALS_SHOWN, soon: int = SOON_SHOWN
    ) -> dict[str, Any]:
        """The board as JSON-ready data: arrivals newest first, then who is expected next.

        Made once per version of the results for every screen showing the same races, and
        one at a time however fast the versions move: the screens that waited for it share
        it when it is new enough, the next one is made at the newest version.
        """
        version = await self.live.watch.version()
        key = ("arrivals", scope.slug, tuple(scope.races), limit, soon)
        return await self.live.memo(key, version, lambda: self._board(scope, version, limit, soon))

    async def _board(
        self, scope: BoardScope, version: int, limit: int, soon: int
    ) -> dict[str, Any]:
        arrivals: list[Arrival] = []
        announced: list[Announced] = []
        now = now_us()
        for code in scope.races:
            sheet = await self.live.sheet(scope.slug, code, version)
            arrivals.extend(race_arrivals(sheet.spec, sheet.results, sheet.relay, limit))
            announced.extend(arriving_soon(course_of(sheet), sheet.results, now, soon))
        arrivals.sort(key=lambda a: (a.finish_us, a.bib), reverse=True)
        announced.sort(key=lambda a: (a.expected_us, a.bib))
        zone = ZoneInfo(scope.timezone)

        def clock(us: int) -> str:
            return from_us(us).astimezone(zone).strftime("%H:%M:%S")

        return {
            "version": version,
            "event": {"slug": scope.slug, "name": scope.name},
            "races": scope.races,
            "arrivals": [
                {
                    **asdict(a),
                    "key": f"{a.race}/{a.bib}/{a.finish_us}",
                    "time": format_duration(a.time_us),
                    "clock": clock(a.finish_us),
                }
                for a in arrivals[:limit]
            ],
            "soon": [
                {
                    **asdict(a),
                    "key": f"{a.race}/{a.bib}",
                    "split_time": format_duration(a.split_time_us),
                    "expected": clock(a.expected_us),
                }
                for a in announced[:soon]
            ],
        }

    async def follow(
        self, scope: BoardScope, *, refresh_s: float = REFRESH_S
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield the board now, then again as soon as results may have changed (the watch
        wakes the stream: no poll of its own), or when it aged ``refresh_s``."""
        loop = asyncio.get_running_loop()
        board = await self.board(scope)
        sent_at = loop.time()
        yield board
        while True:
            left = refresh_s - (loop.time() - sent_at)
            version = await self.live.watch.newer(board["version"], max(0.0, left))
            due = loop.time() - sent_at >= refresh_s
            if version > board["version"] or due:
                fresh = await self.board(scope)
                if fresh is board and not due:
                    await asyncio.sleep(NOTICE_S)  # shared a moment ago, already sent
                    continue
                board = fresh
                sent_at = loop.time()
                yield board


async def pick_event(session: AsyncSession, wanted: str | None, role_event: str | None) -> Event:
    """The event asked for, else the box's event (reader.json), else the most recent one."""
    if wanted:
        return await get_event(session, wanted)
    if role_event:
        found = (await session.exec(select(Event).where(Event.slug == role_event))).first()
        if found is not None:
            return found
    query = select(Event).order_by(col(Event.date).desc(), col(Event.id).desc())
    newest = (await session.exec(query)).first()
    if newest is None:
        raise NotFound(
            "no event on this box yet: load one on /setup or with `chrono-edge event load`"
        )
    return newest


def role_event(role_file: Path) -> str | None:
    """The event slug named in reader.json, or None (missing, unset or unreadable file)."""
    try:
        return load_role(role_file).event
    except ChronoEdgeError:
        return None  # a broken reader.json is /setup's to report; screens still show an event
