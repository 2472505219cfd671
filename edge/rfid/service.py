"""``chrono-edge reader``: reads tags from the LLRP reader and writes them durably first.

Four tasks share the event loop: the connection (connect with exponential backoff,
then a watchdog that reconnects when sllurp's thread ends or the reader is silent
for ``silence_s``), the group-commit writer, live passings and the health row.
All of them store with plain sqlite3 (``edge.store``: reads, points, tag_passings,
reader_health): the process runs for hours and never loads SQLAlchemy or the data
model's tables (issue 20, memory).
Stopping (SIGTERM, SIGINT) stops the inventory politely, so every report the
reader sent before it arrives, then commits every queued read before returning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from edge.heartbeat import HEALTH_INTERVAL_S
from edge.rfid.batcher import (
    HOLD_READS,
    LINGER_S,
    MAX_BATCH,
    Destination,
    GroupCommitter,
    ReadQueue,
)
from edge.rfid.client import ReaderClient
from edge.rfid.errors import ReaderLost, ReaderSilent, RfidError
from edge.rfid.health import HealthMonitor
from edge.rfid.live import LivePassings
from edge.roleconfig import ReaderConfig
from edge.store import reads as raw
from edge.store.held import HeldNotice
from edge.store.points import PointRow, find_point
from edge.store.reads import DatabaseFile, ReadIn
from edge.store.tag_passings import TagPassings
from edge.timing.crossing import CrossingSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadingTarget:
    """What the reads are for: the event, the timing point and this box."""

    event_id: str
    event_slug: str
    point_id: str
    point_code: str
    device_id: str
    crossing: CrossingSettings
    # Antennas whose reads are check-ins, not race reads (all of them if checkin_all).
    checkin_antennas: frozenset[int] = frozenset()
    checkin_all: bool = False


async def resolve_target(db: DatabaseFile, slug: str, point: str, device_id: str) -> ReadingTarget:
    """Find the event and timing point in the database (NotFound if either is missing)."""
    found = await asyncio.to_thread(_find_point, db.path, slug, point)
    return ReadingTarget(
        found.event_id,
        found.event_slug,
        found.point_id,
        found.point_code,
        device_id,
        found.crossing,
    )


def _find_point(path: Path, slug: str, point: str) -> PointRow:
    connection = raw.connect_for_reading(path)  # a full disk: reads are held in memory
    try:
        with raw.read_transaction(connection):
            return find_point(connection, slug, point)
    finally:
        connection.close()


@dataclass(frozen=True)
class Tuning:
    """Timings of the service; the defaults suit a box, tests shorten some."""

    connect_timeout_s: float = 5.0
    backoff_first_s: float = 0.5
    backoff_max_s: float = 10.0
    watch_interval_s: float = 0.1
    max_batch: int = MAX_BATCH
    linger_s: float = LINGER_S
    health_interval_s: float = HEALTH_INTERVAL_S
    hold_reads: int = HOLD_READS  # reads held in memory at most while the disk is full


class ReaderService:
    """Reads one reader for one timing point until stopped; never loses a committed read."""

    def __init__(
        self,
        db: DatabaseFile,
        target: ReadingTarget,
        reader: ReaderConfig,
        *,
        tuning: Tuning | None = None,
    ) -> None:
        self._db = db
        self.target = target
        self.reader = reader
        self.tuning = tuning or Tuning()
        self.address = f"{reader.host}:{reader.port}"
        self.health = HealthMonitor(
            db,
            reader=self.address,
            event_slug=target.event_slug,
            point_code=target.point_code,
            interval_s=self.tuning.health_interval_s,
        )
        self.live = LivePassings(
            TagPassings(db.path),
            event_slug=target.event_slug,
            point_code=target.point_code,
            settings=target.crossing,
        )
        self.queue: ReadQueue | None = None
        self.destination: Destination | None = None
        self.writer: GroupCommitter | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Read and commit until ``stop`` is set, then commit everything received and return."""
        queue = self.queue = ReadQueue(self.tuning.hold_reads)
        target = self.target
        destination = self.destination = Destination(
            self._db.path,
            target.event_id,
            target.point_id,
            target.device_id,
            checkin=target.checkin_antennas,
            checkin_all=target.checkin_all,
        )
        writer = self.writer = GroupCommitter(
            queue,
            destination,
            on_commit=self._on_commit,
            max_batch=self.tuning.max_batch,
            linger_s=self.tuning.linger_s,
            notice=HeldNotice(self._db.path),
        )
        done_reading, done_writing = asyncio.Event(), asyncio.Event()
        writing = asyncio.create_task(writer.run(done_reading), name="reader-writer")
        others = [
            asyncio.create_task(self.health.run(done_writing), name="reader-health"),
            asyncio.create_task(self.live.run(done_writing), name="reader-live-passings"),
        ]
        reading = asyncio.create_task(self._read(queue, stop), name="reader-connection")
        try:
            await asyncio.wait([reading, writing], return_when=asyncio.FIRST_COMPLETED)
            stop.set()  # the writer ending first means it failed: stop reading at once
            await reading
        finally:
            stop.set()
            if not reading.done():
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)
            done_reading.set()
            try:
                await writing  # every queued read is committed before this returns
            finally:
                done_writing.set()
                await asyncio.gather(*others, return_exceptions=True)
        await self.live.settle(everything=True)
        self.health.disconnected()
        await self.health.write()
        log.info(
            "reader service stopped: %d reads received, %d committed (%d new), %d dropped",
            queue.received,
            writer.committed,
            writer.added,
            queue.dropped,
        )

    def _on_commit(self, reads: Sequence[ReadIn]) -> None:
        self.health.count(reads)
        where = self.destination
        if where is not None and (where.checkin or where.checkin_all):
            reads = [r for r in reads if not where.is_checkin(r)]  # never race passings
        self.live.note(reads)

    async def _read(self, queue: ReadQueue, stop: asyncio.Event) -> None:
        while not stop.is_set():
            client = await self._connect(queue, stop)
            if client is None:
                return
            self.health.connected(client)
            offset_s = (client.clock_offset_us or 0) / 1e6
            log.info(
                "reader %s connected: %s at %s, reader clock offset %+.3f s",
                self.address,
                self.target.point_code,
                self.target.event_slug,
                offset_s,
            )
            error: RfidError | None = None
            try:
                await self._watch(client, stop)
            except RfidError as err:
                error = err
            finally:
                await client.close(polite=error is None)
            self.health.disconnected(error.message if error else "")
            if error is None:
                log.info("reader %s disconnected", self.address)
                return
            log.warning("reader %s disconnected: %s", self.address, error.message)

    async def _connect(self, queue: ReadQueue, stop: asyncio.Event) -> ReaderClient | None:
        # A new retry policy per connection: the backoff starts again after a success.
        retrying = AsyncRetrying(
            wait=wait_exponential(
                multiplier=self.tuning.backoff_first_s, max=self.tuning.backoff_max_s
            ),
            retry=retry_if_exception_type(RfidError),
            sleep=partial(_pause, stop),
            before_sleep=self._before_retry,
        )
        async for attempt in retrying:
            with attempt:
                if stop.is_set():
                    return None
                client = ReaderClient(
                    self.reader, queue.put, timeout_s=self.tuning.connect_timeout_s
                )
                await client.connect()
                return client
        return None  # tenacity retries forever: never reached

    def _before_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        message = error.message if isinstance(error, RfidError) else str(error)
        self.health.failed(message)
        log.warning("reader %s: %s; retrying in %.1f s", self.address, message, delay)

    async def _watch(self, client: ReaderClient, stop: asyncio.Event) -> None:
        silence_s = self.reader.silence_s
        while True:
            await _pause(stop, self.tuning.watch_interval_s)
            if stop.is_set():
                return
            if not client.alive:
                raise ReaderLost(f"the connection to the reader at {self.address} was lost")
            silent_s = client.silent_for_s()
            if silent_s > silence_s:
                raise ReaderSilent(
                    f"the reader at {self.address} sent nothing for {silent_s:.1f} s"
                    f" (limit {silence_s:g} s)"
                )


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
