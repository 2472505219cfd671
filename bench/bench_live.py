"""Benchmark of the live path end to end: a passing stored -> screens, consoles, results page.

Run ``python -m bench.bench_live [ENTRANTS]`` (default 20,000). It builds the screen
bench's race with half the field finished, makes the box a MASTER and starts the real
``chrono-edge serve`` on it, as on a Pi. It opens SCREENS speaker-screen streams and
CONSOLES console streams (10 in all) and a results page that looks its runners up by
bib. Then READERS writers stand for four readers streaming at the three points, each
in its own connection: every PERIOD_S a writer commits the raw reads of one runner's
pass (READS_PER_PASS, as a reader does) and the passing they make. Two write at the
finish (new finishers), one at KM5 and one at the start (runners seen again: a new
version of the results that moves nobody).

For every finish passing it times, from its commit: each screen's board showing the
arrival, each console's stream carrying the passing, and the results page showing the
finish. The goal is the worst case over all of them (not the median): under 1 s. An
arrival a screen never showed counts as missed, which fails the goal. It also prints
the serve process's CPU use (a console's counters and passings must cost O(new
passings), not O(entrants), per tick: ten of them must not load the process).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.bench_ingest import free_port
from bench.bench_memory import box, started, wait_for
from bench.bench_screen import SLUG, build
from bench.goals import Goal, exit_code
from edge.domain import PassingMethod
from edge.domain.clock import format_duration, now_us
from edge.rfid.service import resolve_target
from edge.services.passings import NewPassing, PassingService
from edge.store import reads as raw
from edge.store.database import Database
from edge.store.reads import ReadIn

ENTRANTS = 20_000
SCREENS = 5
CONSOLES = 5
READERS = (("FINISH", 0), ("FINISH", 1), ("KM5", 0), ("START", 0))
"""Each writer's point, and which half of the unfinished runners a finish writer brings in."""
PERIOD_S = 0.25
"""A writer's pace: four passings a second each, eight finishers a second in all."""
READS_PER_PASS = 25
RUN_S = 30.0
DRAIN_S = 5.0
"""After the writers stop: time for the last passings to reach every client."""
RESULTS_EVERY = 5
"""The results page looks up one finisher in this many (each lookup is a page load)."""
GOAL_S = 1.0


@dataclass
class Seen:
    """When each client first showed each finisher (monotonic seconds), by bib."""

    stored: dict[str, float] = field(default_factory=dict)
    shown: dict[str, dict[str, float]] = field(default_factory=dict)

    def note(self, client: str, bib: str) -> None:
        """``client`` shows ``bib`` now (only the first time counts)."""
        self.shown.setdefault(client, {}).setdefault(bib, time.monotonic())


async def events(client: httpx.AsyncClient, url: str) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of a Server-Sent Events stream, endlessly."""
    async with client.stream("GET", url, timeout=None) as answer:
        answer.raise_for_status()
        name, data = "message", list[str]()
        async for line in answer.aiter_lines():
            if not line:
                if data:
                    yield name, "\n".join(data)
                name, data = "message", []
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())


async def screen(client: httpx.AsyncClient, base: str, number: int, seen: Seen) -> None:
    """A speaker screen: every arrival its boards show."""
    url = f"{base}/api/v1/events/{SLUG}/arrivals/stream"
    async for name, data in events(client, url):
        if name == "board":
            for arrival in json.loads(data)["arrivals"]:
                seen.note(f"screen {number}", arrival["bib"])


async def console(client: httpx.AsyncClient, base: str, number: int, seen: Seen) -> None:
    """A console: every finish passing its stream carries."""
    url = f"{base}/api/v1/events/{SLUG}/passings/stream?after={await newest_cursor(base)}"
    async for name, data in events(client, url):
        if name == "passing":
            row = json.loads(data)
            if row["point"] == "FINISH" and row["bib"]:
                seen.note(f"console {number}", row["bib"])


async def newest_cursor(base: str) -> int:
    """Where a console opened now starts following (the page renders it)."""
    async with httpx.AsyncClient() as client:
        page = (await client.get(f"{base}/", timeout=60)).text
    found = re.search(r'"cursor": (\d+)', page)
    if found is None:
        raise SystemExit("the console page carries no cursor")
    return int(found.group(1))


async def results_page(
    client: httpx.AsyncClient, base: str, wanted: asyncio.Queue[tuple[str, str]], seen: Seen
) -> None:
    """The results page, searched by bib until the finisher's chip time shows."""
    while True:
        bib, chip = await wanted.get()
        while True:
            page = await client.get(f"{base}/results", params={"race": "10K", "q": bib}, timeout=60)
            if chip in page.text:
                seen.note("results page", bib)
                break
            await asyncio.sleep(0.05)


def stream_reader(
    path: Path, point: str, half: int, first: int, last: int, gun_us: int, stop: float,
    stored: multiprocessing.Queue[tuple[str, float, str] | int],
) -> None:  # fmt: skip
    """A reader's process: stream at ``point`` until ``stop`` (monotonic, shared by every
    process); put (bib, when stored, chip time) for each finisher, then the count."""

    async def streaming() -> int:
        db = Database(path)
        try:
            return await writer(db, point, half, first, last, gun_us, stop, stored)
        finally:
            await db.close()

    stored.put(asyncio.run(streaming()))


async def writer(
    db: Database, point: str, half: int, first: int, last: int, gun_us: int, stop: float,
    out: multiprocessing.Queue[tuple[str, float, str] | int],
) -> int:  # fmt: skip
    """One reader streaming at ``point`` until ``stop``; how many passings it stored."""
    target = await resolve_target(db, SLUG, point, "bench")
    # The writer's own thread, for its raw connection (sqlite3 keeps one to its thread).
    thread = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    connection = await loop.run_in_executor(thread, raw.connect, db.path)
    passings = PassingService(db)
    bibs = range(first + half, last + 1, 2) if point == "FINISH" else range(1, last + 1, 7)
    stored = 0
    try:
        for bib in bibs:
            if time.monotonic() >= stop:
                break
            began = time.monotonic()
            at = now_us()
            reads = [
                ReadIn(f"{bib:024d}", k % 4 + 1, -60.0, at + k * 40_000, at + k * 40_000)
                for k in range(READS_PER_PASS)
            ]
            await loop.run_in_executor(
                thread, raw.record_reads, connection, target.event_id, target.point_id, reads
            )
            middle = at + READS_PER_PASS // 2 * 40_000
            new = NewPassing(point, str(bib), middle)
            await passings.record(SLUG, new, method=PassingMethod.FIRST)
            stored += 1
            if point == "FINISH":
                out.put((str(bib), time.monotonic(), format_duration(middle - gun_us)))
            await asyncio.sleep(max(0.0, PERIOD_S - (time.monotonic() - began)))
    finally:
        await loop.run_in_executor(thread, connection.close)
        thread.shutdown()
    return stored


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(folder: Path, base: str, serve_pid: int, gun_us: int, entrants: int) -> Seen:
    """Open the clients, stream the readers, wait for the last passings; what was seen."""
    seen = Seen()
    wanted: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    limits = httpx.Limits(max_connections=SCREENS + CONSOLES + 4)
    async with httpx.AsyncClient(limits=limits) as client:
        clients = [asyncio.create_task(screen(client, base, n, seen)) for n in range(SCREENS)]
        clients += [asyncio.create_task(console(client, base, n, seen)) for n in range(CONSOLES)]
        clients.append(asyncio.create_task(results_page(client, base, wanted, seen)))
        await asyncio.sleep(3.0)  # every stream open and past its first board
        cpu_before, began = cpu_s(serve_pid), time.monotonic()
        stop = began + RUN_S
        first = entrants // 2 + 1
        stored: multiprocessing.Queue[tuple[str, float, str] | int] = multiprocessing.Queue()
        readers = [
            multiprocessing.Process(
                target=stream_reader,
                args=(folder / "edge.db", point, half, first, entrants, gun_us, stop, stored),
            )
            for point, half in READERS
        ]
        for process in readers:
            process.start()
        counts: list[int] = []
        finishers = 0
        while len(counts) < len(readers):
            item = await asyncio.to_thread(stored.get)
            if isinstance(item, int):
                counts.append(item)
                continue
            bib, when, chip = item
            seen.stored[bib] = when
            finishers += 1
            if finishers % RESULTS_EVERY == 0:
                wanted.put_nowait((bib, chip))
        for process in readers:
            process.join()
        streamed = time.monotonic() - began
        cpu = (cpu_s(serve_pid) - cpu_before) / streamed
        await asyncio.sleep(DRAIN_S)
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
    print(
        f"live: {sum(counts)} passings in {streamed:.1f} s ({sum(counts) / streamed:.1f}/s),"
        f" {len(seen.stored)} finishers; serve used {cpu:.2f} CPU s per s"
    )
    return seen


def latencies(seen: Seen) -> dict[str, list[float]]:
    """Each client's delays from commit to shown; a finisher never shown counts as infinite."""
    found: dict[str, list[float]] = {}
    for client, shown in sorted(seen.shown.items()):
        expected = seen.stored if not client.startswith("results") else dict.fromkeys(shown, 0.0)
        found[client] = [
            shown[bib] - seen.stored[bib] if bib in shown else float("inf") for bib in expected
        ]
    return found


def main() -> int:
    """Print each client's figures and the worst case next to its goal."""
    entrants = int(sys.argv[1]) if len(sys.argv) > 1 else ENTRANTS
    with tempfile.TemporaryDirectory(prefix="bench-live-") as name, ExitStack() as stack:
        folder = Path(name)
        db, gun = asyncio.run(build(folder, entrants, finished=entrants // 2))
        asyncio.run(db.close())
        # The ten clients stand for ten devices: from one address the box allows fewer.
        os.environ["CHRONO_EDGE_STREAMS_PER_CLIENT"] = str(SCREENS + CONSOLES + 2)
        web_port = free_port()
        role = ["role", "set", "master", "--event", SLUG, "--point", "FINISH"]
        subprocess.run(box(folder, *role), check=True, stdout=subprocess.DEVNULL)
        command = box(folder, "serve", "--host", "127.0.0.1", "--port", str(web_port))
        serve = stack.enter_context(started(command, folder / "serve.log"))
        base = f"http://127.0.0.1:{web_port}"
        wait_for(base + "/login")
        seen = asyncio.run(run(folder, base, serve.pid, int(gun.timestamp() * 1e6), entrants))
    worst = 0.0
    for client, delays in latencies(seen).items():
        finite = [d for d in delays if d != float("inf")]
        missed = len(delays) - len(finite)
        median = statistics.median(finite) if finite else float("nan")
        print(
            f"  {client}: {len(finite)} shown, {missed} missed,"
            f" median {median:.3f} s, worst {max(delays, default=0.0):.3f} s"
        )
        worst = max(worst, *delays) if delays else worst
    if len(seen.shown) < SCREENS + CONSOLES + 1:
        print(f"  only {len(seen.shown)} of {SCREENS + CONSOLES + 1} clients showed anything")
        worst = float("inf")
    goal = Goal("live.passing_to_every_client worst", GOAL_S, "s")
    return exit_code([goal.report(worst)])


if __name__ == "__main__":
    sys.exit(main())
