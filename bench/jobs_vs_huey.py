"""Benchmark: our job queue against huey's SqliteHuey on the same workload.

Run ``python -m bench.jobs_vs_huey``. Each side gets a fresh SQLite file (WAL,
``synchronous=FULL``: huey with ``fsync=True``), enqueues 20,000 no-op jobs,
then processes them with one worker: ours is one ``Worker`` in this process
(64 jobs at once, the most ``chrono-edge worker --concurrency`` allows; each
turn of its loop records the finished jobs and claims the next ones in one
transaction, one fsync), huey one consumer worker thread.
Each side enqueues with its own API: ours ``enqueue_many`` (one transaction),
huey one ``enqueue`` per task (it has no bulk enqueue; each is a commit). Our
one-call-per-job enqueue rate is printed too, on a sample, so the difference
is visible. The rate is jobs per second over enqueue + processing. Ours keeps
at-least-once delivery (a job is marked completed only after it ran, and only
by the holder that claimed it); huey deletes a task when it picks it up (at
most once). The last line is ``ratio=<ours/huey>``; exits 1 below the goal (2).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import huey
from huey import SqliteHuey

from edge.jobs import JobContext, JobRegistry, Kind
from edge.jobs.admin import JobAdmin
from edge.jobs.queue import JobQueue
from edge.jobs.store import engine_for
from edge.jobs.worker import Worker
from edge.store import migrate

JOBS = 20_000
CONCURRENCY = 64
RATIO_GOAL = 2.0
TIMEOUT_S = 600.0
SINGLE_SAMPLE = 1_000

_ran = 0
_all_ran = asyncio.Event()


async def noop(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Do nothing but count."""
    global _ran
    _ran += 1
    if _ran == JOBS:
        _all_ran.set()


REGISTRY = JobRegistry.of([Kind("bench.noop", noop, "bench", 1)])


async def ours(folder: Path) -> tuple[float, float, float]:
    """Seconds to enqueue then to process ``JOBS`` jobs on our queue; single enqueues/s."""
    path = folder / "ours.db"
    migrate.upgrade(path)
    queue = JobQueue(engine_for(path), REGISTRY)
    try:
        admin = JobAdmin(queue.engine)
        await admin.set_concurrency("bench", CONCURRENCY)
        began = time.perf_counter()
        for n in range(SINGLE_SAMPLE):
            await queue.enqueue("bench.noop", {"n": n}, queue="sample")  # never run
        single = SINGLE_SAMPLE / (time.perf_counter() - began)
        began = time.perf_counter()
        await queue.enqueue_many("bench.noop", [{"n": n} for n in range(JOBS)])
        enqueued = time.perf_counter()
        stop = asyncio.Event()
        worker = Worker(queue, ["bench"], CONCURRENCY, periodic=False)
        running = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(_all_ran.wait(), TIMEOUT_S)
        stop.set()
        await running  # drains: the last completions are written before it returns
        processed = time.perf_counter()
        states = (await admin.stats())["states"]
        if states["completed"] != JOBS:
            raise SystemExit(f"ours: {states['completed']} of {JOBS} completed: {states}")
        return enqueued - began, processed - enqueued, single
    finally:
        await queue.close()


def theirs(folder: Path) -> tuple[float, float]:
    """Seconds to enqueue then to process ``JOBS`` tasks on huey's SqliteHuey."""
    tasks = SqliteHuey("bench", filename=str(folder / "huey.db"), fsync=True)
    done = threading.Event()
    ran = 0

    @tasks.task()
    def noop(n: int) -> None:
        nonlocal ran
        ran += 1  # one worker thread: no race
        if ran == JOBS:
            done.set()

    began = time.perf_counter()
    for n in range(JOBS):
        noop(n)
    enqueued = time.perf_counter()
    consumer = tasks.create_consumer(workers=1, periodic=False, check_worker_health=False)
    consumer.start()
    try:
        if not done.wait(TIMEOUT_S):
            raise SystemExit(f"huey: {ran} of {JOBS} ran within {TIMEOUT_S} s")
    finally:
        consumer.stop(graceful=True)
    processed = time.perf_counter()
    return enqueued - began, processed - enqueued


def main() -> None:
    """Run both sides and print their rates and the ratio."""
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        folder = Path(tmp)
        our_enqueue, our_process, our_single = asyncio.run(ours(folder))
        huey_enqueue, huey_process = theirs(folder)
    our_rate = JOBS / (our_enqueue + our_process)
    huey_rate = JOBS / (huey_enqueue + huey_process)
    for name, enqueue, process, rate in (
        ("ours", our_enqueue, our_process, our_rate),
        (f"huey {huey.__version__}", huey_enqueue, huey_process, huey_rate),
    ):
        print(
            f"{name}: {JOBS} jobs, enqueue {enqueue:.2f} s ({JOBS / enqueue:,.0f}/s), "
            f"process {process:.2f} s ({JOBS / process:,.0f}/s), overall {rate:,.0f} jobs/s"
        )
    print(
        f"ours, one enqueue() call per job ({SINGLE_SAMPLE} sampled): {our_single:,.0f}/s; "
        f"processing alone: ours/huey = {huey_process / our_process:.2f}"
    )
    ratio = our_rate / huey_rate
    print(f"goal: ratio >= {RATIO_GOAL:g} (one worker, synchronous=FULL, at-least-once for ours)")
    print(f"ratio={ratio:.2f}")
    if ratio < RATIO_GOAL:
        sys.exit(1)


if __name__ == "__main__":
    main()
