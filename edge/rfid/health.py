"""The reader service's health row (``reader_health``), written every few seconds.

The front panel and ``GET /api/v1/readers`` read it: whether the reader is
connected, when it last sent a read or any frame, reads per second per antenna,
its clock offset, how often the link was lost and why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from edge.heartbeat import HEALTH_INTERVAL_S
from edge.rfid.client import ReaderClient, box_now_us
from edge.store import reads as raw
from edge.store.reader_health import HealthRow, write_health
from edge.store.reads import DatabaseFile, ReadIn

log = logging.getLogger(__name__)


class HealthMonitor:
    """Counts what the service sees and upserts its ``reader_health`` row."""

    def __init__(
        self,
        db: DatabaseFile,
        *,
        reader: str,
        event_slug: str,
        point_code: str,
        interval_s: float = HEALTH_INTERVAL_S,
    ) -> None:
        self._db = db
        self.reader = reader
        self._event_slug = event_slug
        self._point_code = point_code
        self.interval_s = interval_s
        self._client: ReaderClient | None = None
        self._ever_connected = False
        self.connected_since_us: int | None = None
        self.clock_offset_us: int | None = None
        self.clock_drift_us: int | None = None
        self.last_read_us: int | None = None
        self.last_message_us: int | None = None
        self.reconnects = 0
        self.last_error = ""
        self.reads_total = 0  # committed by this process
        self._per_antenna: Counter[int] = Counter()
        self._window_start = time.monotonic()
        self._write_error = ""  # why the last write failed, said once

    def connected(self, client: ReaderClient) -> None:
        """Note a new connection (each one after the first is a reconnect)."""
        if self._ever_connected:
            self.reconnects += 1
        self._ever_connected = True
        self._client = client
        self.connected_since_us = client.connected_us
        self.clock_offset_us = client.clock_offset_us
        self.clock_drift_us = None  # measured again on each connection

    def disconnected(self, error: str = "") -> None:
        """Note that the connection ended, and why (empty: the service stopped it)."""
        self._remember_client_times()
        self._client = None
        self.connected_since_us = None
        if error:
            self.last_error = error

    def failed(self, error: str) -> None:
        """Note a failed connection attempt."""
        self.last_error = error

    def count(self, reads: Sequence[ReadIn]) -> None:
        """Count committed reads, per antenna."""
        self.reads_total += len(reads)
        self._per_antenna.update(read.antenna for read in reads)

    def snapshot(self) -> HealthRow:
        """Return the row as of now, and start a new reads-per-second window."""
        self._remember_client_times()
        now = time.monotonic()
        elapsed = max(now - self._window_start, 1e-6)
        rates = {str(a): round(n / elapsed, 1) for a, n in sorted(self._per_antenna.items())}
        self._per_antenna.clear()
        self._window_start = now
        return HealthRow(
            reader=self.reader,
            event_slug=self._event_slug,
            point_code=self._point_code,
            connected=self._client is not None and self._client.alive,
            connected_since_us=self.connected_since_us,
            last_read_us=self.last_read_us,
            last_message_us=self.last_message_us,
            reads_total=self.reads_total,
            reads_per_s=json.dumps(rates),
            clock_offset_us=self.clock_offset_us,
            reconnects=self.reconnects,
            last_error=self.last_error,
            pid=os.getpid(),
            updated_us=box_now_us(),
            clock_drift_us=self.clock_drift_us,
        )

    async def write(self) -> None:
        """Upsert the row now; a busy database only delays it to the next interval."""
        row = self.snapshot()
        try:
            await asyncio.to_thread(_write, self._db.path, row)
        except sqlite3.Error as err:
            if str(err) != self._write_error:  # once per cause: a full disk lasts
                log.warning("reader %s: cannot write health: %s", self.reader, err)
            self._write_error = str(err)
            return
        if self._write_error:
            log.info("reader %s: health written again", self.reader)
            self._write_error = ""

    async def run(self, stop: asyncio.Event) -> None:
        """Write the row every interval until ``stop`` is set."""
        while not stop.is_set():
            await self.write()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    def _remember_client_times(self) -> None:
        client = self._client
        if client is not None:
            self.last_read_us = client.last_read_us or self.last_read_us
            self.last_message_us = client.last_message_us or self.last_message_us
            if client.clock_drift_us is not None:
                self.clock_drift_us = client.clock_drift_us
            if client.clock_offset_us is not None:  # settled after the first reads
                self.clock_offset_us = client.clock_offset_us


def _write(path: Path, row: HealthRow) -> None:
    connection = raw.connect(path)
    try:
        write_health(connection, row)
    finally:
        connection.close()
