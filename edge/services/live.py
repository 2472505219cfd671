"""When results may have changed, and race sheets computed once per change.

Every change that moves a result (a passing added, rebuilt, corrected; an
entrant edited or set DSQ) is written to the outbox in its own transaction, so
the newest outbox seq of those tables is a version of the results. Raw reads
also go to the outbox but change no result by themselves: they are skipped.
Checking is incremental (only the rows since the last check), so polling it
every 200 ms costs the same at the start of a race as after a million reads.
A race's sheet is then brought up to date from the rows of the new version only
(``edge.services.live_race``): a new passing costs one entrant, not the field.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import text

from edge.domain.clock import now_us
from edge.services.events import get_event, load_overview
from edge.services.live_race import NOT_RESULTS, LiveRace
from edge.services.results import RaceSheet, race_spec
from edge.store.database import Database
from edge.timing.model import RaceFormat, RaceSpec
from edge.timing.tally import Tally, race_tally, tally_of_counts

T = TypeVar("T")

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


class ChangeWatch:
    """The results' version on one database: the newest relevant outbox seq."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._checked: int | None = None  # every outbox row up to here has been looked at
        self._version = 0
        self._lock = asyncio.Lock()

    async def version(self) -> int:
        """The current version (it only grows; a new value means results may differ)."""
        async with self._lock, self.db.read() as session:
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
            return self._version


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
        self._memo_lock = asyncio.Lock()

    async def sheet(self, slug: str, race: str, version: int | None = None) -> RaceSheet:
        """The race's results as of ``version`` (default: now), computed once per version."""
        if version is None:
            version = await self.watch.version()
        # One computation per version however many screens ask at once: the others wait
        # for it instead of computing the same sheet side by side.
        async with self._computing:
            kept = await self._current(slug, race, version)
            now = time.monotonic()
            stale = now - kept.sheet_made_s > SHEET_MAX_AGE_S
            if kept.sheet is None or kept.sheet_version != version or stale:
                kept.sheet, kept.sheet_version = kept.race.sheet(now_us()), version
                kept.sheet_made_s = now
            return kept.sheet

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
        """``make()``'s value for ``key`` at ``version``, computed once for every client that
        asks while the version holds (and for at most ``max_age_s``): ten screens on one
        board cost one board per version, not ten.

        A value younger than ``min_age_s`` is handed out even for a newer version: while
        readers stream, the version moves with every passing, and clients polling at their
        own moments would each see a new one and make the value again.
        """
        async with self._memo_lock:
            found = self._memos.get(key)
            now = time.monotonic()
            if found is None or (
                now - found.made_s >= min_age_s
                and (found.version != version or now - found.made_s > max_age_s)
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
        if kept is None or kept.version != version:
            if kept is None or not await kept.race.catch_up(self.db, version):
                kept = _Kept(now, await LiveRace.load(self.db, slug, race))
            kept.version = version
        self._races[key] = kept
        self._races.move_to_end(key)
        while len(self._races) > RACES_KEPT:
            self._races.popitem(last=False)
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


_LIVE: dict[Path, LiveResults] = {}


def live_results(db: Database) -> LiveResults:
    """The process's one LiveResults of ``db``: every page and screen shares its sheets."""
    found = _LIVE.get(db.path)
    if found is None or found.db is not db:
        found = _LIVE[db.path] = LiveResults(db)
    return found
