"""Benchmark of central's spectator pages (runner page, event page) with 20,000 entrants.

Run ``python -m bench.bench_runner [ENTRANTS]`` (default 20,000). Central runs alone on
CPU 0 (SQLite, access log off), the crowd (``bench.crowd``, open-loop, keep-alive) on
CPU 1, as in ``bench.bench_public``. One event's race of ENTRANTS runners (a fifth still
on course, so their pages carry a prediction) gets a new version every PUBLISH_EVERY_S
from a process of its own. Three crowds, one after the other:

- runner pages behind a cache (a CDN or nginx in front): each request revalidates the
  bib's page with the newest ETag the cache holds, so a new version costs one render
  per bib asked and every other request a 304;
- runner pages with no cache in front: every request renders its page (the worst case);
- the event page behind a cache, the same way (its ETag, when it has one).

Printed: requests/s served and p50/p99 per crowd. Goals: the asked rate served, p99
under 50 ms behind a cache (what spectators get in the deployment issue 24 describes),
under 150 ms without one; no errors.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.bench_public import cpu_seconds, percentile
from bench.crowd import Asked, Reply, Request, ask_at_rate
from bench.goals import Goal, exit_code
from bench.sync_backlog import free_port, wait_up
from central.services.public import CoursePoint, ResultsPayload, publish
from central.store.database import CentralDatabase
from edge.clock import format_duration
from edge.domain.clock import now_us

ENTRANTS = 20_000
EVENT = "city-marathon"
RATE = 200  # requests per second asked by each runner-page crowd
SECONDS = 15
CONNECTIONS = 32
PUBLISH_EVERY_S = 5.0
CACHED_P99_S = 0.050
UNCACHED_P99_S = 0.150
COLUMNS = ["rank", "bib", "first_name", "last_name", "sex", "category", "sex_rank",
           "category_rank", "team", "status", "gun_time", "chip_time", "split_KM5",
           "split_KM10", "club"]  # fmt: skip
POINTS = [
    CoursePoint(code="KM5", kind="split", distance_m=5000),
    CoursePoint(code="KM10", kind="split", distance_m=10000),
    CoursePoint(code="FINISH", kind="finish", distance_m=21097),
]


def sheet(version: int, entrants: int) -> list[dict[str, object]]:
    """A half marathon's sheet: four fifths finished, the rest on course after 10 km."""
    rows: list[dict[str, object]] = []
    for n in range(1, entrants + 1):
        km5 = (1_200 + n * 2_400 // entrants + version % 7) * 1_000_000
        running = n % 5 == 0
        finish = None if running else km5 * 43 // 10
        rows.append({
            "rank": None if running else n, "bib": str(n), "first_name": f"Kim{n % 97}",
            "last_name": f"Name{n}", "sex": "FM"[n % 2], "category": "SE-" + "FM"[n % 2],
            "sex_rank": None if running else n // 2 + 1,
            "category_rank": None if running else n // 4 + 1, "team": f"Team {n % 300}",
            "status": "ONC" if running else "FIN",
            "gun_time": format_duration(finish) if finish else None,
            "chip_time": format_duration(finish) if finish else None,
            "split_KM5": format_duration(km5), "split_KM10": format_duration(km5 * 21 // 10),
            "club": f"Club {n % 40}",
        })  # fmt: skip
    return rows


async def publish_race(url: str, version: int, entrants: int) -> None:
    """Store a new version of the race with central's own ``publish``."""
    database = CentralDatabase(url)
    try:
        results = ResultsPayload(event=EVENT, race="21K", updated_us=version, columns=COLUMNS,
                                 rows=sheet(version, entrants), points=POINTS)  # fmt: skip
        async with database.write() as session:
            await publish(session, "bench-box", results, now_us())
    finally:
        await database.close()


def publisher(url: str, stop: float, entrants: int) -> None:
    """New versions until ``stop`` (time.monotonic()), in its own process, at a lower priority."""
    os.nice(10)
    version = 2
    while time.monotonic() < stop:
        cycle = time.monotonic()
        asyncio.run(publish_race(url, version, entrants))
        version += 1
        pause = min(PUBLISH_EVERY_S - (time.monotonic() - cycle), stop - time.monotonic())
        time.sleep(max(0.0, pause))


def crowd(port: int, path_of: Callable[[int], str], cached: bool, rate: int) -> tuple[Asked, int]:
    """Ask ``path_of(n)`` at ``rate`` for SECONDS; revalidating with held ETags when ``cached``."""
    etags: dict[str, str] = {}
    bodies = refused = 0

    def request(n: int) -> Request:
        path = path_of(n)
        headers = {"Accept-Encoding": "gzip"}
        if cached and path in etags:
            headers["If-None-Match"] = etags[path]
        return path, headers

    def answered(n: int, reply: Reply) -> None:
        nonlocal bodies, refused
        if reply.status == 200:
            bodies += 1
            if "etag" in reply.headers:
                etags[path_of(n)] = reply.headers["etag"]
        elif reply.status != 304:
            refused += 1

    asked = asyncio.run(
        ask_at_rate("127.0.0.1", port, rate, rate * SECONDS, CONNECTIONS, request, answered)
    )
    asked.errors += refused
    return asked, bodies


def main() -> int:
    """Print the figures; return 1 when a goal is missed."""
    entrants = int(sys.argv[1]) if len(sys.argv) > 1 else ENTRANTS
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, crowd_cpu = cpus[0], cpus[-1]
    # Spectators look at a few hundred runners (their family's, their club's) many times.
    followed = [str(n) for n in range(5, entrants, max(1, entrants // 400))]

    def runner(n: int) -> str:
        return f"/public/events/{EVENT}/runners/{followed[n % len(followed)]}"

    # (path of request n, revalidate with the held ETag, requests/s asked)
    crowds: dict[str, tuple[Callable[[int], str], bool, int]] = {
        "runner page, cached": (runner, True, RATE),
        "runner page, no cache": (runner, False, RATE),
        "event page, cached": (lambda n: f"/public/events/{EVENT}?race=21K", True, RATE),
    }
    figures: dict[str, tuple[Asked, int, float, float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as folder:
        work = Path(folder)
        url = f"sqlite+aiosqlite:///{work}/c.db"
        env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": url,
               "CHRONO_CENTRAL_ACCESS_LOG": "false"}  # fmt: skip
        port = free_port()
        command = [sys.executable, "-m", "central", "serve", "--port", str(port)]
        log = (work / "central.log").open("wb")
        with log, subprocess.Popen(
            command, env=env, cwd=work, stdout=log, stderr=log,
            preexec_fn=lambda: os.sched_setaffinity(0, {server_cpu}),
        ) as server:  # fmt: skip
            try:
                wait_up(f"http://127.0.0.1:{port}/healthz", server)
                asyncio.run(publish_race(url, 1, entrants))
                # The race has been live for a while when the crowd comes: its first version
                # is parsed (and the event page made) before, not counted.
                for path in (runner(0), f"/public/events/{EVENT}?race=21K"):
                    warm = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=120)
                    if warm.status_code != 200:
                        raise SystemExit(f"{path}: {warm.status_code} before the crowd")
                os.sched_setaffinity(0, {crowd_cpu})
                for name, (path_of, cached, rate) in crowds.items():
                    live = multiprocessing.get_context("spawn").Process(
                        target=publisher, args=(url, time.monotonic() + SECONDS, entrants)
                    )
                    live.start()
                    began, cpu_began = time.monotonic(), cpu_seconds(server.pid)
                    asked, bodies = crowd(port, path_of, cached, rate)
                    took = time.monotonic() - began
                    cpu = cpu_seconds(server.pid) - cpu_began
                    figures[name] = (asked, bodies, took, cpu, rate)
                    live.join()
            finally:
                server.terminate()
                server.wait(timeout=10)
    verdicts = []
    for name, (asked, bodies, took, cpu, rate) in figures.items():
        served = len(asked.latencies_s) / took
        print(
            f"{name}: {entrants} entrants, asked {rate}/s for {SECONDS} s, served {served:.0f}/s,"
            f" p50 {percentile(asked.latencies_s, 0.5) * 1000:.1f} ms, {bodies} full bodies,"
            f" {asked.errors} errors, server CPU {cpu / max(1, len(asked.latencies_s)) * 1e6:.0f}"
            f" µs per request (crowd's own lag p99 {percentile(asked.lag_s, 0.99) * 1000:.1f} ms)"
        )
        goal_s = CACHED_P99_S if name.endswith(", cached") else UNCACHED_P99_S
        verdicts += [
            Goal(f"{name} served", rate * 0.98, "requests/s", at_least=True).report(served),
            Goal(f"{name} p99", goal_s * 1000, "ms").report(
                percentile(asked.latencies_s, 0.99) * 1000
            ),
            Goal(f"{name} errors", 0, "").report(asked.errors),
        ]
    return exit_code(verdicts)


if __name__ == "__main__":
    sys.exit(main())
