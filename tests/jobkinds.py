"""Job kinds used by the job-queue tests: ``registry`` (workers get them with
``--kinds tests.jobkinds:registry``; in-process queues with ``with_box()``)."""

from __future__ import annotations

import asyncio
import atexit
import os
import time
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from edge.jobs import JobContext, JobRegistry, Kind
from edge.jobs.box import box_registry
from edge.jobs.child import ChildContext, run_in_child
from edge.settings import get_settings


async def record(ctx: JobContext, payload: dict[str, Any]) -> int:
    """Append 'job pid start end' (ns) to a per-process file; optionally sleep in between
    (``sleep_s``; with ``sleep_attempt``, only on that attempt)."""
    start = time.monotonic_ns()
    if payload.get("sleep_s") and payload.get("sleep_attempt", ctx.attempt) == ctx.attempt:
        await asyncio.sleep(float(payload["sleep_s"]))
    end = time.monotonic_ns()
    file = _runs_file(Path(str(payload["folder"])))
    file.write(f"{ctx.job_id} {os.getpid()} {start} {end}\n")  # line-buffered: a kill keeps it
    return ctx.job_id


@cache
def _runs_file(folder: Path) -> TextIO:
    # Kept open for the life of the worker: opening a file per job would be most of its cost.
    file = (folder / f"runs-{os.getpid()}.txt").open("a", encoding="ascii", buffering=1)
    atexit.register(file.close)
    return file


async def fail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Always raise."""
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


async def noop(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Do nothing (benchmarks)."""


async def child_sleep(ctx: JobContext, payload: dict[str, Any]) -> Any:
    """Run ``sleep_in_child`` in a child process (``edge.jobs.child``)."""
    return await run_in_child(ctx, "tests.jobkinds:sleep_in_child", payload)


async def sleep_in_child(ctx: ChildContext, payload: dict[str, Any]) -> int:
    """Log the child's pid, then report progress every 0.1 s for ``seconds``; the pid."""
    await ctx.log(f"child {os.getpid()} sleeping")
    steps = int(float(payload["seconds"]) * 10)
    for step in range(steps):
        await ctx.progress(step * 100 // steps, "sleeping")
        await asyncio.sleep(0.1)
    return os.getpid()


registry = JobRegistry.of(
    [
        Kind("test.record", record, "default", 3),
        Kind("test.fail", fail, "default", 3),
        Kind("test.noop", noop, "default", 3),
        Kind("test.child_sleep", child_sleep, "default", 1),
    ]
)


def with_box() -> JobRegistry:
    """The box's kinds (diagnostics.sleep, jobs.prune...) and the test kinds."""
    return box_registry(get_settings()).including(registry)
