"""Benchmark of a MASTER box's memory: serve + reader + worker on a 20,000-entrant event.

Run ``python -m bench.bench_memory [ENTRANTS [READS]]`` (default 20,000 entrants and
1,000,000 reads). It builds a box in a temporary folder (the race of
``bench.bench_screen``: every entrant seen at KM5 and most at the finish, each wearing
a tag; then the reads, stored through the reader's own ``record_reads``), makes it the
MASTER reading the finish, and starts the three real processes on it, as systemd
does on a Pi: ``chrono-edge serve``, ``chrono-edge reader`` against the LLRP emulator
(``chrono-edge simulate-reader`` playing the race) and ``chrono-edge worker``. It lets
them run a while (the worker's scheduled jobs run, the reader stores and settles
tags), opens the results page and the console once, then reads each process's
resident memory (VmRSS, and its peak VmHWM) from /proc. A Pi 4 with 2 GB also runs
the OS, maybe a browser kiosk, and SQLite's page cache: the three together get
250 MB; over that it exits 1.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.bench_ingest import free_port
from bench.bench_screen import SLUG, build
from edge.rfid.service import resolve_target
from edge.store import reads as raw
from edge.store.reads import ReadIn

ENTRANTS = 20_000
READS = 1_000_000
GOAL_MB = 250.0
RUN_S = 60.0
"""How long the processes run before the pages are opened: several rounds of every
periodic job (results cache and sync every 2 s) and of the reader's settling."""
SETTLE_S = 10.0
"""After the pages: the worker's next results-cache round and the reader's next commits."""
BATCH = 50_000
READS_PER_PASS = 25
"""Reads a tag gives on one pass over a mat (a few a second on four antennas)."""
PAGES = ("/results", "/")
PROCESSES = ("serve", "reader", "worker")
CHRONO_EDGE = Path(sys.executable).parent / "chrono-edge"


def tag_of(bib: int) -> str:
    """The EPC the emulator's runner ``bib`` wears (its hex spells the bib)."""
    return f"{bib:024d}"


def tag_reads(entrants: int, reads: int, base_us: int, gap_us: int) -> Iterator[ReadIn]:
    """``reads`` reads of passes over a mat: runner N around ``base_us + N * gap_us``."""
    rng = random.Random(reads)
    passes = max(1, reads // READS_PER_PASS)
    for n in range(passes):
        bib = n % entrants + 1
        lap = n // entrants  # more reads than runners: runners pass again, an hour later
        middle = base_us + bib * gap_us + lap * 3_600_000_000
        count = min(READS_PER_PASS, reads - n * READS_PER_PASS)
        for k in range(count):
            time_us = middle + (k - count // 2) * 40_000 + rng.randrange(10_000)
            rssi = -70.0 + 25.0 * (1 - abs(k - count // 2) / count) + rng.random()
            yield ReadIn(tag_of(bib), k % 4 + 1, round(rssi, 1), time_us, time_us)


async def build_box(folder: Path, entrants: int, reads: int) -> None:
    """The box's database: the screen bench's race, its entrants' tags, then the reads."""
    db, gun = await build(folder, entrants)
    try:
        points = {code: await resolve_target(db, SLUG, code, "bench") for code in ("KM5", "FINISH")}
    finally:
        await db.close()
    connection = raw.connect(db.path)
    try:
        # The race's entrants were imported without tags: give bib N the emulator's tag N.
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE entrant SET tag1 = printf('%024d', CAST(bib AS INTEGER))")
        connection.execute("COMMIT")
        gun_us = int(gun.timestamp() * 1_000_000)
        plan = {"KM5": (14 * 60, 10_000), "FINISH": (28 * 60, 20_000)}
        share = {"KM5": reads // 2, "FINISH": reads - reads // 2}
        for code, (after_s, gap_us) in plan.items():
            batch: list[ReadIn] = []
            base = gun_us + after_s * 1_000_000
            for read in tag_reads(entrants, share[code], base, gap_us):
                batch.append(read)
                if len(batch) == BATCH:
                    _record(connection, points[code].event_id, points[code].point_id, batch)
                    batch = []
            if batch:
                _record(connection, points[code].event_id, points[code].point_id, batch)
    finally:
        connection.close()


def _record(
    connection: sqlite3.Connection, event_id: str, point_id: str, batch: list[ReadIn]
) -> None:
    raw.record_reads(connection, event_id, point_id, batch, device_id="bench")


def box(folder: Path, *args: str) -> list[str]:
    """The ``chrono-edge`` command line on the box in ``folder``."""
    return [str(CHRONO_EDGE), "--data-dir", str(folder), *args]


@dataclass(frozen=True)
class Memory:
    """A process's resident memory now, its peak, and its proportional share, in MB."""

    rss_mb: float
    peak_mb: float
    pss_mb: float
    """Resident memory with each page shared with other processes (the C libraries)
    counted in part: what the three processes really take together is the sum."""


def memory_of(pid: int) -> Memory:
    """VmRSS and VmHWM of process ``pid`` (/proc/PID/status), and its Pss (smaps_rollup)."""
    fields = {}
    for file in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Pss"):
                fields[key] = int(value.split()[0]) / 1024
    return Memory(fields["VmRSS"], fields["VmHWM"], fields["Pss"])


@contextmanager
def started(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (its output in ``log``) until the block ends, then stop it (SIGTERM)."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(url: str, timeout_s: float = 60.0) -> None:
    """Wait until ``url`` answers."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(url, timeout=5, follow_redirects=True).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def measure(folder: Path, entrants: int, run_s: float) -> dict[str, Memory]:
    """Start the box's processes, let them work, open the pages; each one's memory."""
    reader_port, web_port = free_port(), free_port()
    role = ["role", "set", "master", "--event", SLUG, "--point", "FINISH"]
    subprocess.run(
        box(folder, *role, "--reader", f"127.0.0.1:{reader_port}"),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    emulator = [str(CHRONO_EDGE), "simulate-reader", "--port", str(reader_port), "--quiet"]
    emulator += ["--runners", str(entrants), "--spread", "3600", "--clock-year", "2000"]
    commands = {
        "serve": box(folder, "serve", "--host", "127.0.0.1", "--port", str(web_port)),
        "reader": box(folder, "reader"),
        "worker": box(folder, "worker", "--concurrency", "4"),
    }
    base = f"http://127.0.0.1:{web_port}"
    with ExitStack() as stack:
        stack.enter_context(started(emulator, folder / "emulator.log"))
        running = {
            name: stack.enter_context(started(command, folder / f"{name}.log"))
            for name, command in commands.items()
        }
        try:
            wait_for(base + "/login")
        except httpx.HTTPError:
            raise SystemExit(_log(folder, "serve")) from None
        time.sleep(run_s)
        for page in PAGES:
            began = time.monotonic()
            response = httpx.get(base + page, timeout=300)
            took = time.monotonic() - began
            print(
                f"  GET {page}: {response.status_code}, {len(response.content):,} B, {took:.1f} s"
            )
        time.sleep(SETTLE_S)
        for name, process in running.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} stopped ({process.returncode}):\n{_log(folder, name)}")
        return {name: memory_of(process.pid) for name, process in running.items()}


def _log(folder: Path, name: str) -> str:
    return (folder / f"{name}.log").read_text(errors="replace")[-3000:]


def main() -> int:
    """Print each process's memory and the total next to the goal; 1 over the goal."""
    entrants = int(sys.argv[1]) if len(sys.argv) > 1 else ENTRANTS
    reads = int(sys.argv[2]) if len(sys.argv) > 2 else READS
    run_s = float(os.environ.get("CHRONO_BENCH_RUN_S", RUN_S))
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as name:
        folder = Path(name)
        began = time.monotonic()
        asyncio.run(build_box(folder, entrants, reads))
        # The build wrote ~900 MB: flushed now, its writeback does not slow the services'
        # first commits (fsync) past the 5 s another process waits for the write lock.
        os.sync()
        print(
            f"box built: {entrants:,} entrants, {reads:,} reads in {time.monotonic() - began:.0f} s"
        )
        memory = measure(folder, entrants, run_s)
    for name in PROCESSES:
        m = memory[name]
        print(
            f"  {name:<7} rss={m.rss_mb:6.1f} MB  peak={m.peak_mb:6.1f} MB  pss={m.pss_mb:6.1f} MB"
        )
    total = sum(m.rss_mb for m in memory.values())
    peak = sum(m.peak_mb for m in memory.values())
    pss = sum(m.pss_mb for m in memory.values())
    print(
        f"memory.box entrants={entrants} reads={reads} total_rss={total:.1f}MB"
        f" total_peak={peak:.1f}MB total_pss={pss:.1f}MB goal={GOAL_MB:.0f}MB (rss)"
    )
    if total > GOAL_MB:
        print("FAIL: serve + reader + worker use more memory than the goal", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
