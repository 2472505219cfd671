"""Group commit of tag reads: many reads per transaction, one fsync for all of them.

sllurp's thread puts reads in a ``ReadQueue``; one ``GroupCommitter`` takes what
is queued (up to ``max_batch`` reads, after waiting ``linger_s`` for more) and
commits it with ``record_reads`` in one BEGIN IMMEDIATE transaction with
synchronous=FULL, on a thread of its own. A read is *acknowledged* once its
transaction has committed: a kill or a power cut after that cannot lose it, and
INSERT OR IGNORE on (point, epc, antenna, reader time) means it is stored once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from edge.store import reads as raw
from edge.store.checkins import record_checkins
from edge.store.reads import ReadIn

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH = 5_000
LINGER_S = 0.05
_RETRY_S = (0.5, 1.0, 2.0, 5.0)


class ReadQueue:
    """Reads waiting to be committed; ``put`` may be called from any thread."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: deque[ReadIn] = deque()
        self._ready = asyncio.Event()
        self._signalled = True  # nobody waits yet
        self.received = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, reads: Sequence[ReadIn]) -> None:
        """Queue reads (on sllurp's thread), waking the event loop only if the writer waits."""
        self._items.extend(reads)
        self.received += len(reads)
        if not self._signalled:
            # One wake-up per wait, not per report: waking the loop for every read
            # costs more GIL hand-overs than the reads themselves.
            self._signalled = True
            self._loop.call_soon_threadsafe(self._ready.set)

    async def wait(self) -> None:
        """Return once at least one read is queued."""
        while not self._items:
            self._signalled = False
            self._ready.clear()
            if self._items:
                return
            await self._ready.wait()

    def take(self, limit: int) -> list[ReadIn]:
        """Remove and return up to ``limit`` reads, oldest first."""
        items = self._items
        return [items.popleft() for _ in range(min(limit, len(items)))]

    def give_back(self, reads: Sequence[ReadIn]) -> None:
        """Put reads whose commit failed back in front, in their order."""
        self._items.extendleft(reversed(reads))


@dataclass(frozen=True)
class Destination:
    """Where reads are stored: the database file, the event and point, this box.

    Reads of the ``checkin`` antennas (all of them if ``checkin_all``) are check-ins,
    stored apart (``edge.store.checkins``): they never become race passings.
    """

    db_path: Path
    event_id: str
    point_id: str
    device_id: str
    checkin: frozenset[int] = frozenset()
    checkin_all: bool = False

    def is_checkin(self, read: ReadIn) -> bool:
        """Whether ``read`` was made by a check-in antenna."""
        return self.checkin_all or read.antenna in self.checkin


OnCommit = Callable[[Sequence[ReadIn]], None]


class GroupCommitter:
    """Commits queued reads, many per transaction, on a single writer thread."""

    def __init__(
        self,
        queue: ReadQueue,
        destination: Destination,
        *,
        on_commit: OnCommit | None = None,
        max_batch: int = MAX_BATCH,
        linger_s: float = LINGER_S,
    ) -> None:
        self._queue = queue
        self._destination = destination
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._linger_s = linger_s
        # One thread for the connection: sqlite3 connections stay in their thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chrono-reads")
        self._connection: sqlite3.Connection | None = None
        self.committed = 0  # reads acknowledged (new or already stored)
        self.added = 0  # of which new rows
        self.commits = 0
        self.last_error = ""

    async def run(self, done_reading: asyncio.Event) -> None:
        """Commit reads as they come; return once reading is done and the queue is empty."""
        await self._call(self._open)
        try:
            failures = 0
            while True:
                if not self._queue:
                    if done_reading.is_set():
                        return
                    await _first(self._queue.wait(), done_reading.wait())
                    continue
                if len(self._queue) < self._max_batch and not done_reading.is_set():
                    await asyncio.sleep(self._linger_s)  # let more reads share the fsync
                if await self.commit_queued():
                    failures = 0
                    continue
                await asyncio.sleep(_RETRY_S[min(failures, len(_RETRY_S) - 1)])
                failures += 1
        finally:
            await self._call(self._close)
            self._executor.shutdown(wait=True)

    async def commit_queued(self) -> bool:
        """Commit one batch of queued reads; on a database error keep them queued."""
        batch = self._queue.take(self._max_batch)
        if not batch:
            return True
        try:
            added = await self._call(self._record, batch)
        except sqlite3.Error as err:
            self._queue.give_back(batch)
            self.last_error = f"cannot store reads: {err}"
            log.error("%s; %d reads kept in memory, retrying", self.last_error, len(self._queue))
            return False
        self.committed += len(batch)
        self.added += added
        self.commits += 1
        log.debug(
            "committed %d reads (%d new) reader time %d..%d, total %d",
            len(batch),
            added,
            batch[0].reader_time_us,
            batch[-1].reader_time_us,
            self.committed,
        )
        if self._on_commit is not None:
            self._on_commit(batch)
        return True

    async def _call(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _open(self) -> None:
        self._connection = raw.connect(self._destination.db_path)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _record(self, batch: list[ReadIn]) -> int:
        if self._connection is None:
            self._open()
        assert self._connection is not None
        where = self._destination
        if not (where.checkin or where.checkin_all):
            return raw.record_reads(
                self._connection, where.event_id, where.point_id, batch, device_id=where.device_id
            )
        timing = [r for r in batch if not where.is_checkin(r)]
        checkins = [r for r in batch if where.is_checkin(r)]
        added = 0
        if timing:
            added = raw.record_reads(
                self._connection, where.event_id, where.point_id, timing, device_id=where.device_id
            )
        if checkins:
            record_checkins(self._connection, where.event_id, checkins, device_id=where.device_id)
            added += len(checkins)
        return added


async def _first(*waits: Coroutine[Any, Any, object]) -> None:
    """Wait for the first of several coroutines to finish; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
