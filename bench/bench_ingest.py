"""Benchmark of tag-read ingestion: emulated reader -> sllurp -> reader service -> SQLite.

Run ``python -m bench.bench_ingest``. The emulator plays a burst of 100,000 reads as
fast as it can, in a process of its own (as a real reader is a machine of its own);
the reader service commits them with group commit, synchronous=FULL. The figure is
reads per second from the first read received to the last one committed, printed
next to raw ``record_reads`` on the same reads (batches of the same size, no LLRP),
with their ratio. Exits 1 when the end-to-end rate is under the goal.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from edge.imports.eventfile import load_event_file
from edge.rfid.batcher import MAX_BATCH
from edge.rfid.emulator import BurstScenario, EmulatorServer, offset_for_year
from edge.rfid.service import ReaderService, resolve_target
from edge.roleconfig import ReaderConfig
from edge.services.events import EventService
from edge.store import migrate
from edge.store import reads as raw
from edge.store.database import Database
from edge.store.reads import ReadIn

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "docs/examples/spring-10k.yaml"
SLUG = "spring-10k-2026"
TAGS = 500
READS = 100_000
RATE = 50_000.0  # asked of the emulator: faster than anything downstream
START_S = 0.1  # the first read comes after the ROSpec starts, so none is skipped
GOAL_READS_PER_S = 5_000.0
"""Five times what the fastest Impinj readers report (about 1,100 tags/s), so a finish
mat in a burst never backs up. The ceiling here is the transactional outbox: each
read is inserted twice (tag_read and outbox) in the same fsynced transaction."""
TIMEOUT_S = 120.0


def burst() -> BurstScenario:
    """The burst both measurements use."""
    return BurstScenario(
        tags=TAGS, start_s=START_S, duration_s=READS / RATE, reads_per_s=RATE, seed=7
    )


async def prepare(path: Path) -> Database:
    """A migrated database holding the demo event."""
    await asyncio.to_thread(migrate.upgrade, path)
    db = Database(path)
    await EventService(db).load(load_event_file(EVENT))
    return db


def free_port() -> int:
    """Return a TCP port nothing listens on."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_emulator(port: int) -> subprocess.Popen[str]:
    """Start the emulator process (this module with ``--emulator``) and wait until it listens."""
    command = [sys.executable, "-m", "bench.bench_ingest", "--emulator", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "listening":
        process.kill()
        process.communicate()
        raise SystemExit("the emulator did not start")
    return process


async def emulate(port: int) -> None:
    """Serve the burst on ``port`` until SIGTERM (the emulator process)."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with EmulatorServer(burst(), port=port, clock_offset_us=offset_for_year(2000)):
        print("listening", flush=True)
        await stop.wait()


async def end_to_end(path: Path, expected: int) -> tuple[float, int]:
    """Reads per second through the whole chain, and how many were committed."""
    db = await prepare(path)
    port = free_port()
    emulator = start_emulator(port)
    try:
        target = await resolve_target(db, SLUG, "FINISH", "bench")
        service = ReaderService(db, target, ReaderConfig(port=port))
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        first = last = 0.0
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.005)
            if not first and service.queue is not None and service.queue.received:
                first = time.monotonic()
            if service.writer is not None and service.writer.committed >= expected:
                last = time.monotonic()
                break
        stop.set()
        await task
        committed = service.writer.committed if service.writer else 0
    finally:
        emulator.terminate()
        emulator.communicate(timeout=10)
        await db.close()
    if not last:
        raise SystemExit(f"only {committed} of {expected} reads committed in {TIMEOUT_S:g} s")
    return committed / (last - first), committed


async def raw_inserts(path: Path, reads: list[ReadIn]) -> float:
    """Reads per second through ``record_reads`` alone, in batches of the service's size."""
    db = await prepare(path)
    target = await resolve_target(db, SLUG, "FINISH", "bench")
    await db.close()
    connection = raw.connect(path)
    try:
        began = time.perf_counter()
        for start in range(0, len(reads), MAX_BATCH):
            batch = reads[start : start + MAX_BATCH]
            raw.record_reads(connection, target.event_id, target.point_id, batch, device_id="b")
        elapsed = time.perf_counter() - began
    finally:
        connection.close()
    return len(reads) / elapsed


def scenario_reads() -> list[ReadIn]:
    """The burst's reads as the service stores them (reader clock = box clock here)."""
    return [
        ReadIn(r.epc.hex().upper(), r.antenna_id, float(r.peak_rssi_dbm), r.offset_us, r.offset_us)
        for r in burst().reads()
    ]


async def main() -> int:
    """Run both measurements and print them."""
    reads = scenario_reads()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        rate, committed = await end_to_end(Path(folder) / "service.db", len(reads))
        raw_rate = await raw_inserts(Path(folder) / "raw.db", reads)
    print(f"reads: {committed:,} (burst of {TAGS} tags, 4 antennas, one read per LLRP report)")
    print(f"end to end (emulator -> sllurp -> service -> SQLite): {rate:,.0f} reads/s")
    print(f"raw record_reads, batches of {MAX_BATCH:,}: {raw_rate:,.0f} reads/s")
    print(f"ratio={rate / raw_rate:.3f} goal={GOAL_READS_PER_S:,.0f} reads/s end to end")
    if rate < GOAL_READS_PER_S:
        print("FAIL: end-to-end ingestion is under the goal", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("sllurp").setLevel(logging.ERROR)  # "Too few bytes": TCP split a frame
    if sys.argv[1:2] == ["--emulator"]:
        asyncio.run(emulate(int(sys.argv[2])))
    else:
        sys.exit(asyncio.run(main()))
