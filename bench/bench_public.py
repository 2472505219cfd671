"""Benchmark of central's public results endpoint under a crowd of spectators.

Run ``python -m bench.bench_public [ENTRANTS] [--page]`` (default 20,000). ``--page``
asks for the spectators' event page (``/public/events/{slug}?race=10K``, its first 100
rows rendered at each new version) instead of the JSON results. Central runs alone on
CPU 0 (SQLite, access log off as the Ansible role deploys it), the crowd on CPU 1. Ten
events each publish a race of ENTRANTS rows, then a new version every PUBLISH_EVERY_S
while the crowd asks at a fixed RATE (the versions are stored with central's own
``publish`` from a process of their own, as a second central process would: the server
sees them through the database). The crowd (``bench.crowd``: hand-written keep-alive
HTTP/1.1, open-loop) stands for spectators behind a CDN or nginx cache (the deployment
issue 24 describes): each request revalidates with the newest ETag the cache holds for
its race, so a new version costs one full body per race (more when requests are in
flight as it lands) and every other request a 304. Printed: requests/s served, p50 and
p99 latency, how many full bodies, the crowd's own lag (a busy host starves it too),
the server's CPU per request; the goal is RATE requests/s with p99 under 50 ms; it
exits 1 when either is missed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.crowd import Asked, Reply, Request, ask_at_rate
from bench.goals import Goal, exit_code
from bench.sync_backlog import free_port, wait_up
from central.services.public import ResultsPayload, publish
from central.store.database import CentralDatabase
from edge.domain.clock import now_us

ENTRANTS = 20_000
EVENTS = 10
RATE = 500  # requests per second asked by the crowd
SECONDS = 20
SPECTATORS = 1_000  # each polls every SPECTATORS / RATE = 2 s
CONNECTIONS = 64  # keep-alive connections, as a cache in front keeps to its origin
PUBLISH_EVERY_S = float(
    os.environ.get("BENCH_PUBLISH_EVERY_S", "5")
)  # a race's results change this often during the race
P99_GOAL_S = 0.050
COLUMNS = [
    "rank", "bib", "first_name", "last_name", "sex", "category", "sex_rank",
    "category_rank", "team", "status", "gun_time", "chip_time", "split_KM5", "club",
]  # fmt: skip


def sheet(version: int, entrants: int) -> list[dict[str, object]]:
    """A realistic results sheet; ``version`` shifts the times so each version differs."""
    return [
        {"rank": n, "bib": str(n), "first_name": f"Kim{n % 97}", "last_name": f"Name{n}",
         "sex": "FM"[n % 2], "category": "SE-" + "FM"[n % 2], "sex_rank": n // 2 + 1,
         "category_rank": n // 4 + 1, "team": f"Team {n % 300}", "status": "FIN",
         "gun_time": f"0:{30 + n // 1000:02d}:{n % 60:02d}.{version % 10}",
         "chip_time": f"0:{30 + n // 1000:02d}:{n % 60:02d}.{version % 10}",
         "split_KM5": f"0:{15 + n // 2000:02d}:{n % 60:02d}.0", "club": f"Club {n % 40}"}
        for n in range(1, entrants + 1)
    ]  # fmt: skip


async def publish_all(url: str, events: list[str], version: int, entrants: int) -> None:
    """Store a new version of every race with central's own ``publish``."""
    database = CentralDatabase(url)
    rows = sheet(version, entrants)  # made once: the publishing, not the sheet, is measured
    try:
        for event in events:
            results = ResultsPayload(
                event=event, race="10K", updated_us=version, columns=COLUMNS, rows=rows
            )
            async with database.write() as session:
                await publish(session, f"bench-{event}", results, now_us())
    finally:
        await database.close()


def crowd(port: int, events: list[str], page: bool = False) -> tuple[Asked, int]:
    """Ask at RATE for SECONDS; every latency, the crowd's lag and errors; the full bodies.

    Each request revalidates with the newest ETag the cache in front holds for its race;
    the gzipped body is read, not inflated (a browser's time, not ours).
    """
    etags: dict[str, str] = {}  # race -> the newest ETag the cache in front holds
    bodies = refused = 0

    def request(n: int) -> Request:
        event = events[(n % SPECTATORS) % len(events)]
        headers = {"Accept-Encoding": "gzip"}
        if event in etags:
            headers["If-None-Match"] = etags[event]
        if page:
            return f"/public/events/{event}?race=10K&lang=en", headers
        return f"/api/v1/public/events/{event}/results?race=10K", headers

    def answered(n: int, reply: Reply) -> None:
        nonlocal bodies, refused
        if reply.status == 200:
            bodies += 1
            etags[events[(n % SPECTATORS) % len(events)]] = reply.headers["etag"]
        elif reply.status != 304:
            refused += 1

    # The cache in front holds every race's body before the crowd comes (the race has been
    # live for a while): one request per race, not counted. Without it the run opened with
    # 64 full bodies at once, half a percent of the requests, right at the p99.
    warm = asyncio.run(ask_at_rate("127.0.0.1", port, 100, len(events), 1, request, answered))
    if warm.errors or refused or len(etags) < len(events):
        raise SystemExit(f"central did not answer every race before the crowd: {etags}")
    bodies = 0
    asked = asyncio.run(
        ask_at_rate("127.0.0.1", port, RATE, RATE * SECONDS, CONNECTIONS, request, answered)
    )
    asked.errors += refused
    return asked, bodies


def publisher(url: str, events: list[str], stop: float, entrants: int) -> None:
    """New versions of every race until ``stop`` (time.monotonic()), in its own process.

    It shares the crowd's CPU at a lower priority: the crowd must not lag behind its
    rate because ~1 s of publishing per cycle runs beside it (the versions still land).
    """
    os.nice(10)
    version = 2
    while time.monotonic() < stop:
        cycle = time.monotonic()
        asyncio.run(publish_all(url, events, version, entrants))
        version += 1
        pause = min(PUBLISH_EVERY_S - (time.monotonic() - cycle), stop - time.monotonic())
        time.sleep(max(0.0, pause))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(figures: list[float], share: float) -> float:
    """The figure ``share`` of ``figures`` stay under (inf when there are none)."""
    ordered = sorted(figures)
    return ordered[max(0, int(len(ordered) * share) - 1)] if ordered else float("inf")


def main() -> int:
    """Print the figures; return 1 when the rate or the p99 goal is missed."""
    arguments = [a for a in sys.argv[1:] if a != "--page"]
    page = "--page" in sys.argv[1:]
    name = "public.page" if page else "public.results"
    entrants = int(arguments[0]) if arguments else ENTRANTS
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, crowd_cpu = cpus[0], cpus[-1]
    with tempfile.TemporaryDirectory(prefix="bench-public-") as folder:
        work = Path(folder)
        env = {
            **os.environ,
            "CHRONO_CENTRAL_DATABASE_URL": f"sqlite+aiosqlite:///{work}/c.db",
            "CHRONO_CENTRAL_ACCESS_LOG": "false",  # as the Ansible role deploys it (nginx logs)
        }
        port = free_port()
        command = [sys.executable, "-m", "central", "serve", "--port", str(port)]
        log = (work / "central.log").open("wb")
        with log, subprocess.Popen(
            command, env=env, cwd=work, stdout=log, stderr=log,
            preexec_fn=lambda: os.sched_setaffinity(0, {server_cpu}),
        ) as server:  # fmt: skip
            try:
                wait_up(f"http://127.0.0.1:{port}/healthz", server)
                events = [f"city-{n}" for n in range(EVENTS)]
                url = env["CHRONO_CENTRAL_DATABASE_URL"]
                asyncio.run(publish_all(url, events, 1, entrants))
                os.sched_setaffinity(0, {crowd_cpu})
                # Its own process: publishing 10 x 20,000 rows in a thread of the crowd's
                # process held the crowd's GIL for seconds, and that lag counted as latency.
                live = multiprocessing.get_context("spawn").Process(
                    target=publisher, args=(url, events, time.monotonic() + SECONDS, entrants)
                )
                live.start()
                began, cpu_began = time.monotonic(), cpu_seconds(server.pid)
                asked, bodies = crowd(port, events, page)
                took, cpu = time.monotonic() - began, cpu_seconds(server.pid) - cpu_began
                live.join()
            finally:
                server.terminate()
                server.wait(timeout=10)
    served = len(asked.latencies_s) / took
    print(
        f"{name}: {EVENTS} events x {entrants} entrants, asked {RATE}/s for {SECONDS} s,"
        f" p50 {percentile(asked.latencies_s, 0.5) * 1000:.1f} ms, {bodies} full bodies,"
        f" {asked.errors} errors, server on cpu{server_cpu} alone, crowd on cpu{crowd_cpu}"
        f" (its own lag p99 {percentile(asked.lag_s, 0.99) * 1000:.1f} ms)"
    )
    # CPU per request says what the core can serve whatever else runs on this host.
    print(
        f"{name}: the server used {cpu:.1f} s of CPU in {took:.1f} s"
        f" ({cpu / took:.0%} of its core), {cpu / max(1, len(asked.latencies_s)) * 1e6:.0f} µs"
        " per request"
    )
    p99 = percentile(asked.latencies_s, 0.99)
    return exit_code(
        [
            Goal(f"{name} served", RATE * 0.98, "requests/s", at_least=True).report(served),
            Goal(f"{name} p99", P99_GOAL_S * 1000, "ms").report(p99 * 1000),
            Goal(f"{name} errors", 0, "").report(asked.errors),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
