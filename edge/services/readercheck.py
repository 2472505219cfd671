"""The reader test of /setup: a short real LLRP connection, antennas seen, clock offset.

If the reader service already holds a connection to that reader, the test reads
its health row instead of connecting: a second client connecting with
``reset_on_connect`` would delete the running inventory on the reader and lose reads.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from edge.rfid.errors import RfidError
from edge.roleconfig import ReaderConfig
from edge.services.readers import ReaderHealthService
from edge.store.database import Database
from edge.store.reads import ReadIn

TIMEOUT_S = 5.0
LISTEN_S = 2.0


@dataclass(frozen=True)
class ReaderCheck:
    """What the reader test found."""

    ok: bool
    address: str
    source: str  # "test connection" or "reader service"
    antennas_seen: list[int] = field(default_factory=list)
    reads: int = 0
    clock_offset_us: int | None = None
    detail: str = ""

    @property
    def clock_offset_s(self) -> float | None:
        """Box clock minus reader clock, in seconds."""
        return None if self.clock_offset_us is None else self.clock_offset_us / 1_000_000


class _Counter:
    """Counts reads per antenna; sllurp's thread calls it."""

    def __init__(self) -> None:
        self.antennas: set[int] = set()
        self.reads = 0
        self._lock = threading.Lock()

    def __call__(self, reads: list[ReadIn]) -> None:
        with self._lock:
            self.reads += len(reads)
            self.antennas.update(read.antenna for read in reads)


async def check_reader(
    db: Database, reader: ReaderConfig, *, timeout_s: float = TIMEOUT_S, listen_s: float = LISTEN_S
) -> ReaderCheck:
    """Connect to ``reader``, listen for ``listen_s`` and report; never raises for the reader."""
    address = f"{reader.host}:{reader.port}"
    in_use = await _from_reader_service(db, address)
    if in_use is not None:
        return in_use
    # sllurp is loaded by the first test of a reader, not by serve's start.
    from edge.rfid.client import ReaderClient

    counter = _Counter()
    client = ReaderClient(reader, counter, timeout_s=timeout_s)
    try:
        await client.connect()
    except RfidError as error:
        return ReaderCheck(False, address, "test connection", detail=error.message)
    try:
        await asyncio.sleep(listen_s)
    finally:
        await client.close()
    seen = sorted(counter.antennas)
    detail = f"connected; {counter.reads} reads in {listen_s:g} s"
    if not seen:
        detail += " (no tag in the field: hold one near an antenna to see it)"
    return ReaderCheck(
        True, address, "test connection", seen, counter.reads, client.clock_offset_us, detail
    )


async def _from_reader_service(db: Database, address: str) -> ReaderCheck | None:
    for status in await ReaderHealthService(db).list_readers():
        if status.reader == address and status.usable:
            rates = status.reads_per_s
            seen = sorted(int(antenna) for antenna, rate in rates.items() if rate > 0)
            return ReaderCheck(
                True,
                address,
                "reader service",
                seen,
                status.reads_total,
                status.clock_offset_us,
                "the reader service is connected to this reader (reads already flowing)",
            )
    return None
