"""The timing operator's console: which event, each point's reader, counts, unknown tags."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from edge.domain import Event, Race
from edge.domain.clock import US_PER_SECOND, now_us
from edge.errors import ChronoEdgeError
from edge.roleconfig import load_role
from edge.services.corrections import time_of_day
from edge.services.events import get_event, load_overview
from edge.services.live import ChangeWatch, live_results
from edge.services.passing_feed import PassingFeed
from edge.services.readers import ReaderHealthService, ReaderStatus
from edge.store.database import Database
from edge.timing.model import RaceFormat
from edge.timing.tally import Tally

SPARK_S = 60
"""The sparkline shows reads per second over the last minute."""
UNKNOWN_SHOWN = 12
BOARD_EVERY_S = 1.0
"""How often the live stream sends the board (readers, sparklines, counts, unknown tags)."""

_READS_PER_SECOND = text(
    "SELECT corrected_time_us / 1000000 AS second, count(*) FROM tag_read"
    " WHERE point_id = :point AND corrected_time_us >= :since GROUP BY second"
)
_UNKNOWN_TAGS = text(
    "SELECT p.epc, t.code, count(*), max(p.time_us) FROM passing p"
    " JOIN timing_point t ON t.id = p.point_id"
    " WHERE p.event_id = :event AND p.epc IS NOT NULL AND p.bib IS NULL"
    " AND p.epc NOT IN (SELECT tag1 FROM entrant WHERE event_id = :event AND tag1 IS NOT NULL"
    " UNION SELECT tag2 FROM entrant WHERE event_id = :event AND tag2 IS NOT NULL"
    " UNION SELECT target_epc FROM correction WHERE event_id = :event AND kind = 'swap'"
    " AND undone_us IS NULL AND target_epc IS NOT NULL)"
    " GROUP BY p.epc, t.code ORDER BY max(p.time_us) DESC LIMIT :limit"
)


@dataclass(frozen=True)
class PointBoard:
    """One timing point: its reader's state and its reads per second."""

    code: str
    kind: str
    state: str  # reading | connected | down | none (no reader: manual entry only)
    readers: list[str]
    last_error: str
    spark: list[int]  # reads in each of the last SPARK_S seconds, oldest first


@dataclass(frozen=True)
class UnknownTag:
    """A tag read at a point that no entrant wears."""

    epc: str
    point: str
    passings: int
    last: str


@dataclass(frozen=True)
class Board:
    """Everything the console shows around the passings."""

    points: list[PointBoard]
    counts: Tally  # over every race of the event; relays count their teams
    unknown: list[UnknownTag] = field(default_factory=list)
    relay: bool = False  # the event has a relay: its counters count teams, not runners


@dataclass(frozen=True)
class LiveMessage:
    """One Server-Sent Event for the console: name, JSON-ready data, cursor to resume from."""

    event: str
    data: Any
    cursor: int


class ConsoleService:
    """Reads what the console shows; the passings themselves come from ``PassingFeed``."""

    def __init__(self, db: Database, role_file: Path) -> None:
        self.db = db
        self.role_file = role_file

    async def event(self, slug: str) -> Event:
        """The event ``slug`` (NotFound names how to load one)."""
        async with self.db.read() as session:
            return await get_event(session, slug)

    async def current_event(self) -> Event | None:
        """The event in reader.json, else the only (or the most recent) event stored."""
        try:
            role = await asyncio.to_thread(load_role, self.role_file)
            chosen = role.event
        except ChronoEdgeError:
            chosen = None  # a broken reader.json is shown on /setup; the console still works
        async with self.db.read() as session:
            if chosen:
                found = (await session.exec(select(Event).where(Event.slug == chosen))).first()
                if found is not None:
                    return found
            query = select(Event).order_by(col(Event.date).desc(), col(Event.id).desc())
            return (await session.exec(query.limit(1))).first()

    async def board(self, event: Event) -> Board:
        """Readers and sparklines per point, runner counts and unknown tags, as of now.

        Made at most once a second (and per version of the results) for all the consoles
        open on the event: each one's stream asks every second.
        """
        live = live_results(self.db)
        version = await live.watch.version()
        return await live.memo(
            ("console", event.id), version, lambda: self._board(event), min_age_s=BOARD_EVERY_S
        )

    async def _board(self, event: Event) -> Board:
        now = now_us()
        readers = await ReaderHealthService(self.db).list_readers(now=now)
        since = now - SPARK_S * US_PER_SECOND
        async with self.db.read() as session:
            overview = await load_overview(session, event)
            points = []
            for point in overview.points:
                found = await session.exec(  # type: ignore[call-overload]
                    _READS_PER_SECOND, params={"point": point.id, "since": since}
                )
                per_second = {int(second): int(count) for second, count in found.all()}
                first = since // US_PER_SECOND + 1
                spark = [per_second.get(first + i, 0) for i in range(SPARK_S)]
                mine = [r for r in readers if r.event == event.slug and r.point == point.code]
                points.append(_point(point.code, point.kind, mine, spark, now))
            unknown = await session.exec(  # type: ignore[call-overload]
                _UNKNOWN_TAGS, params={"event": event.id, "limit": UNKNOWN_SHOWN}
            )
            tags = [
                UnknownTag(epc, code, int(n), time_of_day(int(last), event.timezone))
                for epc, code, n, last in unknown.all()
            ]
            query = select(Race.code, Race.format).where(Race.event_id == event.id)
            races = list((await session.exec(query)).all())
        counts = await self._counts(event, [code for code, _ in races], now)
        relay = any(kind == RaceFormat.RELAY for _, kind in races)
        return Board(points=points, counts=counts, unknown=tags, relay=relay)

    async def live(self, event: Event, after: int) -> AsyncIterator[LiveMessage]:
        """Passings and corrections as they are stored, and the board every second (endless).

        Between changes the stream waits on the results' version (``ChangeWatch.newer``),
        which wakes it as soon as a passing, correction or entrant is stored. The board is
        made aside: a passing is never held back while it is (its queries, on a loaded box,
        held the passings of every console back by as long: bench_live).
        """
        feed = PassingFeed(self.db)
        watch = live_results(self.db).watch
        loop = asyncio.get_running_loop()
        board_due = 0.0
        board: asyncio.Task[Board] | None = None
        seen = await watch.version()  # read before the changes: none is missed in between
        try:
            while True:
                items = await feed.changes(event.slug, after)
                for item in items:
                    after = max(after, item.cursor)
                    if item.event != "cursor":
                        yield LiveMessage(item.event, item.data, after)
                if board is None and loop.time() >= board_due:
                    board_due = loop.time() + BOARD_EVERY_S
                    board = asyncio.create_task(self.board(event))
                if board is not None and board.done():
                    made, board = board.result(), None
                    yield LiveMessage("board", dataclasses.asdict(made), after)
                if not items:
                    seen = await _quiet(watch, seen, board, board_due - loop.time())
        finally:
            if board is not None:
                board.cancel()

    async def _counts(self, event: Event, races: list[str], now: int) -> Tally:
        counts = Tally()
        live = live_results(self.db)
        for race in races:
            counts += await live.tally(event.slug, race, now)
        return counts


async def _quiet(
    watch: ChangeWatch, seen: int, board: asyncio.Task[Board] | None, board_in_s: float
) -> int:
    """Wait for a version newer than ``seen``, the board being made, or the next board's
    turn, whichever comes first; the version then known."""
    newer = asyncio.create_task(watch.newer(seen, max(0.0, board_in_s)))
    waits: set[asyncio.Future[Any]] = {newer}
    if board is not None:
        waits.add(board)
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not newer.done():
            newer.cancel()  # the board came first, or the stream was closed
    return newer.result() if newer in done else seen


def _point(
    code: str, kind: str, readers: list[ReaderStatus], spark: list[int], now: int
) -> PointBoard:
    if not readers:
        state = "none"
    elif any(r.reading(now) for r in readers):
        state = "reading"
    elif any(r.usable for r in readers):
        state = "connected"
    else:
        state = "down"
    errors = [r.last_error for r in readers if r.last_error]
    return PointBoard(
        code=code,
        kind=kind,
        state=state,
        readers=[r.reader for r in readers],
        last_error=errors[0] if errors else "",
        spark=spark,
    )
