"""When results may have changed, and race sheets computed once per change.

Every change that moves a result (a passing added, rebuilt, corrected; an
entrant edited or set DSQ) is written to the outbox in its own transaction, so
the newest outbox seq of those tables is a version of the results. Raw reads
also go to the outbox but change no result by themselves: they are skipped.
Checking is incremental (only the rows since the last check), so polling it
every 200 ms costs the same at the start of a race as after a million reads.
Screens, consoles and pages do not poll it each on their own: they wait in
``ChangeWatch.newer`` and one shared look every ``NOTICE_S`` wakes them all as soon as
the version moves (a passing stored by the reader, another process, is seen within it).
A race's sheet is then brought up to date from the rows of the new version only
(``edge.services.live_race``): a new passing costs one entrant, not the field.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from edge.domain.clock import now_us
from edge.heap import give_back_free_memory
from edge.services.events import get_event, load_overview
from edge.services.live_race import NOT_RESULTS, LiveRace
from edge.services.results import RaceSheet, race_spec
from edge.store.database import Database
from edge.timing.model import RaceFormat, RaceSpec
from edge.timing.tally import Tally, race_tally, tally_of_counts

T = TypeVar("T")
log = logging.getLogger(__name__)

_SKIP = ", ".join(f"'{name}'" for name in NOT_RESULTS)
_NEWEST_RELEVANT = text(
    f"SELECT seq FROM outbox WHERE table_name NOT IN ({_SKIP}) ORDER BY seq DESC LIMIT 1"
)
_NEWEST_SINCE = text(
    f"SELECT max(seq) FROM outbox WHERE seq > :after AND table_name NOT IN ({_SKIP})"
)
_NEWEST = text("SELECT coalesce(max(seq), 0) FROM outbox")
RACES_KEPT = 4
"""Races kept in memory: a 20,000-entrant race's engine and sheet weigh tens of MB."""
MEMO_MAX_AGE_S = 1.0
"""A shared board is made again after this long even with no new version (clocks move)."""
SHEET_MAX_AGE_S = 30.0
"""A sheet is made again from the engine (no database read) at least this often with no
new version: who is on course or out depends on the clock (a race closes)."""
DEFINITION_CHECK_S = 5.0
"""How often a kept race's definition is compared with the stored one: loading an event
file (waves, categories) writes no outbox row. A change shows within these seconds."""
NOTICE_S = 0.05
"""How often the version is looked at while a client waits for a new one: the delay
between a passing stored (by the reader, another process) and the screens woken."""


class ChangeWatch:
    """The results' version on one database: the newest relevant outbox seq."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._checked: int | None = None  # every outbox row up to here has been looked at
        self._version = 0
        self._lock = asyncio.Lock()
        self._moved = asyncio.Event()  # set (and replaced) each time the version moves
        self._waiting = 0  # clients in newer()
        self._looking: asyncio.Task[None] | None = None

    async def version(self) -> int:
        """The current version (it only grows; a new value means results may differ)."""
        async with self._lock, self.db.read() as session:
            before = self._version
            newest = int((await session.exec(_NEWEST)).one()[0])  # type: ignore[call-overload]
            if self._checked is None:
                row = (await session.exec(_NEWEST_RELEVANT)).first()  # type: ignore[call-overload]
                self._version = int(row[0]) if row else 0
            elif newest > self._checked:
                found = (
                    await session.exec(_NEWEST_SINCE, params={"after": self._checked})  # type: ignore[call-overload]
                ).one()[0]
                if found is not None:
                    self._version = int(found)
            self._checked = newest
            if self._version != before:
                moved, self._moved = self._moved, asyncio.Event()
                moved.set()  # wakes every client waiting in newer()
            return self._version

    async def newer(self, than: int, timeout_s: float) -> int:
        """The version as soon as it is newer than ``than``, else the current one after
        ``timeout_s``. However many clients wait, one look every NOTICE_S serves them all:
        a passing reaches the screens within it, where each polling on its own at 200 ms
        cost a query per client and up to 200 ms (bench_live)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        self._waiting += 1
        try:
            while True:
                moved = self._moved
                current = await self.version() if self._checked is None else self._version
                left = deadline - loop.time()
                if current > than or left <= 0:
                    return current
                if self._looking is None or self._looking.done():
                    self._looking = asyncio.create_task(self._look())
                try:
                    await asyncio.wait_for(moved.wait(), left)
                except TimeoutError:
                    return self._version
        finally:
            self._waiting -= 1

    async def _look(self) -> None:
        """Look at the version every NOTICE_S while a client waits (the waiters are woken)."""
        while self._waiting:
            try:
                await self.version()
            except SQLAlchemyError:  # a busy or broken database: the next look retries
                log.exception("could not read the results version")
            await asyncio.sleep(NOTICE_S)


@dataclass
class _Kept:
    """A race kept in memory: its engine as of one version, and its sheet as of one."""

    checked_s: float  # time.monotonic() of its last look at the race's definition
    race: LiveRace
    version: int = -1  # the engine's
    sheet: RaceSheet | None = None
    sheet_version: int = -1
    sheet_made_s: float = 0.0


@dataclass
class _Memo:
    """A value computed from the results as of one version, at one instant."""

    version: int
    made_s: float
    value: Any


class LiveResults:
    """Race sheets of one database, brought up to date only when its version moves."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.watch = ChangeWatch(db)
        self._races: OrderedDict[tuple[str, str], _Kept] = OrderedDict()
        self._computing = asyncio.Lock()
        self._memos: dict[Hashable, _Memo] = {}
        self._memo_locks: dict[Hashable, asyncio.Lock] = {}

    async def sheet(self, slug: str, race: str, version: int | None = None) -> RaceSheet:
        """The race's results as of ``version`` or newer (default: now), computed once per
        version however many clients ask."""
        return (await self.current(slug, race, version))[1]

    async def current(
        self, slug: str, race: str, version: int | None = None
    ) -> tuple[int, RaceSheet]:
        """(version, sheet): the race's results as of ``version`` (default: now) or newer.

        One computation at a time: the clients that waited for it get its sheet when it is
        as new as they asked, and the next one computes the newest version, never an older
        one. (Made for each client's own version, a results page and ten screens asking
        with versions a few ms apart each made a sheet, and one older than the last.)
        """
        if version is None:
            version = await self.watch.version()
        async with self._computing:
            key = (slug, race.casefold())
            kept = self._races.get(key)
            now = time.monotonic()
            if (
                kept is not None
                and kept.sheet is not None
                and kept.sheet_version >= version
                and now - kept.sheet_made_s <= SHEET_MAX_AGE_S
                and now - kept.checked_s < DEFINITION_CHECK_S
            ):
                return kept.sheet_version, kept.sheet
            version = max(version, await self.watch.version())
            kept = None  # not held here while _current loads the race again
            kept = await self._current(slug, race, version)
            stale = now - kept.sheet_made_s > SHEET_MAX_AGE_S
            if kept.sheet is None or kept.sheet_version != kept.version or stale:
                kept.sheet, kept.sheet_version = kept.race.sheet(now_us()), kept.version
                kept.sheet_made_s = now
            return kept.sheet_version, kept.sheet

    async def sheet_at(
        self, slug: str, race: str, version: int, moment: int, spec: RaceSpec
    ) -> RaceSheet:
        """The race's results as of ``version``, made at ``moment`` from the kept engine
        of the race defined by ``spec`` (as stored now: reloaded if the kept one differs).

        For the results cache, whose document must say who is on course at ``moment``
        exactly: the screens' shared sheet may be up to SHEET_MAX_AGE_S old. It becomes
        the shared sheet, so the screens do not make the same one again.
        """
        async with self._computing:
            kept = await self._current(slug, race, version)
            if kept.race.inputs.spec != spec:  # redefined since its last check
                kept = await self._current(slug, race, version, reload=True)
            kept.sheet, kept.sheet_version = kept.race.sheet(moment), version
            kept.sheet_made_s = time.monotonic()
            return kept.sheet

    async def tally(self, slug: str, race: str, moment: int) -> Tally:
        """The race's counters as of ``moment``: O(new passings), never a sheet of the field
        (but for a relay, whose teams are counted from its sheet)."""
        version = await self.watch.version()
        async with self._computing:
            kept = await self._current(slug, race, version)
            spec = kept.race.inputs.spec
            if spec.format is not RaceFormat.RELAY:
                return tally_of_counts(spec, kept.race.engine.status_counts(), moment)
        sheet = await self.sheet(slug, race, version)
        return race_tally(sheet.spec, sheet.results, sheet.relay, moment)

    async def memo(
        self,
        key: Hashable,
        version: int,
        make: Callable[[], Awaitable[T]],
        *,
        max_age_s: float = MEMO_MAX_AGE_S,
        min_age_s: float = 0.0,
    ) -> T:
        """``make()``'s value for ``key`` at ``version`` or newer, computed once for every
        client that asks while the version holds (and for at most ``max_age_s``): ten
        screens on one board cost one board per version, not ten.

        A value younger than ``min_age_s`` is handed out even for a newer version (the
        console's board: once a second is enough). Each key has its own lock: a console's
        board never waits for a screen's, nor a screen for a console's.
        """
        lock = self._memo_locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._memos.get(key)
            now = time.monotonic()
            if found is None or (
                now - found.made_s >= min_age_s
                and (found.version < version or now - found.made_s > max_age_s)
            ):
                found = self._memos[key] = _Memo(version, now, await make())
            return cast(T, found.value)

    async def _redefined(self, slug: str, kept: _Kept) -> bool:
        """Whether the race's definition (waves, cutoff, categories, points, format) changed
        since ``kept`` was loaded: loading an event file again writes no outbox row, so the
        version does not move. A few small queries."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            overview = await load_overview(session, event)
        code = kept.race.inputs.race.race.code
        found = next((r for r in overview.races if r.race.code == code), None)
        return found is None or race_spec(event, found) != kept.race.inputs.spec

    async def _current(self, slug: str, race: str, version: int, *, reload: bool = False) -> _Kept:
        """The race's engine brought up to ``version`` (a full recompute when it must, or
        when asked to ``reload``)."""
        key = (slug, race.casefold())
        now = time.monotonic()
        kept = None if reload else self._races.get(key)
        if kept is not None and now - kept.checked_s >= DEFINITION_CHECK_S:
            kept.checked_s = now
            if await self._redefined(slug, kept):
                kept = None
        loaded = False
        if kept is None or kept.version < version:
            if kept is None or not await kept.race.catch_up(self.db, version):
                # The race being replaced is let go before the new one is loaded: both
                # in memory at once were serve's peak (~35 MB more at 20,000 entrants).
                self._races.pop(key, None)
                kept = None
                kept = _Kept(now, await LiveRace.load(self.db, slug, race))
                loaded = True
            kept.version = version
        self._races[key] = kept
        self._races.move_to_end(key)
        while len(self._races) > RACES_KEPT:
            self._races.popitem(last=False)
        if loaded:
            settle_heap()
        return kept

    def kept_sheet(self, slug: str, race: str, version: int) -> tuple[int, RaceSheet] | None:
        """The race's sheet already computed, with its version, when it is ``version`` or
        newer; else None. A search on a results page showing ``version`` needs no newer
        sheet (the page's own poll brings it): it must not wait, after every passing of
        a big race, for the new one to be computed (0.3 s at 20,000 entrants)."""
        kept = self._races.get((slug, race.casefold()))
        if kept is None or kept.sheet is None or kept.sheet_version < version:
            return None
        return kept.sheet_version, kept.sheet


def settle_heap() -> None:
    """Put the objects alive now (a race just loaded) out of the garbage collector's
    sight, after collecting what earlier loads left behind.

    A 20,000-entrant race kept in memory is millions of objects that live as long as the
    race; each full collection walked them all, and the sheets made at every passing set
    one off every few seconds: 0.2-1 s with the event loop stopped, every screen and
    console late by as much (the worst cases of bench_live). Frozen objects are still
    freed when no longer referenced; the next load unfreezes them first, so a dropped
    race's reference cycles are collected then.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    # The load's rows and the race it replaced are freed now; glibc keeps their pages
    # resident for the next allocation unless given back (edge.heap).
    give_back_free_memory()


_LIVE: dict[Path, LiveResults] = {}


def live_results(db: Database) -> LiveResults:
    """The process's one LiveResults of ``db``: every page and screen shares its sheets."""
    found = _LIVE.get(db.path)
    if found is None or found.db is not db:
        found = _LIVE[db.path] = LiveResults(db)
    return found
