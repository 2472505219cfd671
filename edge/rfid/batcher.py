"""Group commit of tag reads: many reads per transaction, one fsync for all of them.

sllurp's thread puts reads in a ``ReadQueue``; one ``GroupCommitter`` takes what
is queued (up to ``max_batch`` reads, after waiting ``linger_s`` for more) and
commits it with ``record_reads`` in one BEGIN IMMEDIATE transaction with
synchronous=FULL, on a thread of its own. A read is *acknowledged* once its
transaction has committed: a kill or a power cut after that cannot lose it, and
INSERT OR IGNORE on (point, epc, antenna, reader time) means it is stored once.

A full disk (SQLITE_FULL) fails every commit: the reads stay queued in memory, in
order, and the commit is retried with backoff until there is room again, then they are
all committed at once (docs/race-day.md, "Full disk"). Meanwhile ``reader-held.json``
(``edge.store.held``) tells the console how many are held. The queue holds at most
``HOLD_READS``: past that, new reads are refused and counted as dropped, loudly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from edge.clock import now_us
from edge.store import reads as raw
from edge.store.checkins import record_checkins
from edge.store.held import HeldNotice, HeldReads, read_held
from edge.store.reads import ReadIn
from edge.store.sqlite import out_of_space

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH = 5_000
LINGER_S = 0.05
_RETRY_S = (0.5, 1.0, 2.0, 5.0)
HOLD_READS = 200_000
"""Reads the reader holds in memory at most while it cannot commit them (a full disk).

A held read costs ~250 bytes (``ReadIn`` and its EPC string, measured with
tracemalloc): 200,000 reads are ~50 MB, a fifth of the 250 MB the three processes of a
2 GB Pi 4 get (bench/bench_memory.py). That is a big finish line's whole race (20,000
runners at ~10 reads each), or 3 minutes of its busiest 1,000 reads/s. Past it, the
newest reads are the ones refused: the operator sees the alarm now and can take the
runners crossing now by hand, where older reads would go missing unnoticed."""


class ReadQueue:
    """Reads waiting to be committed; ``put`` may be called from any thread."""

    def __init__(self, bound: int = HOLD_READS) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: deque[ReadIn] = deque()
        self._ready = asyncio.Event()
        self._signalled = True  # nobody waits yet
        self.bound = bound
        self.received = 0
        self.dropped = 0  # refused because ``bound`` reads were queued already
        self.dropping = False  # said once per episode; the writer resets it
        self._taken = 0  # reads taken by a commit not finished yet: held all the same

    def __len__(self) -> int:
        return len(self._items)

    def put(self, reads: Sequence[ReadIn]) -> None:
        """Queue reads (on sllurp's thread), waking the event loop only if the writer waits.

        Past ``bound`` queued reads (a full disk holds them all here), the rest of
        ``reads`` is refused and counted in ``dropped``: never silently.
        """
        self.received += len(reads)
        room = self.bound - len(self._items) - self._taken
        if room < len(reads):
            refused = len(reads) - max(room, 0)
            if not self.dropping:
                self.dropping = True
                log.error(
                    "%d reads held in memory, the most the reader may hold: newer reads are"
                    " dropped (counted) until the disk has room again",
                    len(self._items),
                )
            self.dropped += refused
            reads = reads[: max(room, 0)]
        self._items.extend(reads)
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
        taken = [items.popleft() for _ in range(min(limit, len(items)))]
        self._taken = len(taken)
        return taken

    def give_back(self, reads: Sequence[ReadIn]) -> None:
        """Put reads whose commit failed back in front, in their order."""
        self._items.extendleft(reversed(reads))
        self._taken = 0

    def stored(self) -> None:
        """The reads last taken are committed: they no longer count against the bound."""
        self._taken = 0


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
        notice: HeldNotice | None = None,
    ) -> None:
        self._queue = queue
        self._destination = destination
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._notice = notice
        self.full_since_us: int | None = None  # when a commit found the disk full
        self._dropped_before = 0  # queue.dropped when the disk filled
        # One thread for the connection: sqlite3 connections stay in their thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chrono-reads")
        self._connection: sqlite3.Connection | None = None
        self.committed = 0  # reads acknowledged (new or already stored)
        self.added = 0  # of which new rows
        self.commits = 0
        self.last_error = ""

    async def run(self, done_reading: asyncio.Event) -> None:
        """Commit reads as they come; return once reading is done and the queue is empty."""
        self._start_notice()
        try:
            await self._call(self._open)
        except sqlite3.Error as err:  # a full disk, say: the first commit opens it again
            log.error("cannot open %s yet: %s", self._destination.db_path, err)
        try:
            failures = 0
            said_stopping = False
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
                if done_reading.is_set() and not said_stopping:
                    said_stopping = True
                    log.error(
                        "stopping with %d reads that cannot be stored yet: retrying until"
                        " they are (killing the process now loses them)",
                        len(self._queue),
                    )
                await asyncio.sleep(_RETRY_S[min(failures, len(_RETRY_S) - 1)])
                failures += 1
        finally:
            await self._call(self._close)
            self._executor.shutdown(wait=True)
            if self._notice is not None:
                self._notice.close()

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
            if out_of_space(err, self._destination.db_path):
                self._disk_full(err)
            log.error("%s; %d reads kept in memory, retrying", self.last_error, len(self._queue))
            return False
        self._queue.stored()
        self.committed += len(batch)
        self.added += added
        self.commits += 1
        if self.full_since_us is not None and len(self._queue) < self._max_batch:
            self._room_again()
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

    @property
    def held(self) -> HeldReads:
        """What is held in memory now, as the notice tells it."""
        return HeldReads(
            held=len(self._queue),
            dropped=self._queue.dropped - self._dropped_before,
            bound=self._queue.bound,
            since_us=self.full_since_us,
            error=self.last_error[:200],
            pid=os.getpid(),
            updated_us=now_us(),
        )

    def _start_notice(self) -> None:
        notice = self._notice
        if notice is None:
            return
        before = read_held(self._destination.db_path)
        if before is not None and before.held and before.pid != os.getpid():
            log.error(
                "the reader process before this one (pid %d) stopped holding %d reads it could"
                " not store (disk full): those reads are lost",
                before.pid,
                before.held,
            )
        notice.write(self.held)

    def _disk_full(self, err: sqlite3.Error) -> None:
        if self.full_since_us is None:
            self.full_since_us = now_us()
            self._dropped_before = self._queue.dropped
            log.error(
                "the disk is full (%s): reads are held in memory, up to %d, and stored once"
                " there is room again",
                err,
                self._queue.bound,
            )
        if self._notice is not None:
            self._notice.write(self.held)

    def _room_again(self) -> None:
        dropped = self._queue.dropped - self._dropped_before
        log.error(
            "the disk has room again: every read held in memory is stored; %d reads were"
            " dropped while it was full (bound %d)",
            dropped,
            self._queue.bound,
        )
        self.full_since_us = None
        self.last_error = ""
        self._queue.dropping = False
        if self._notice is not None:
            self._notice.write(self.held)

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
