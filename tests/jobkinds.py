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


registry = JobRegistry.of(
    [
        Kind("test.record", record, "default", 3),
        Kind("test.fail", fail, "default", 3),
        Kind("test.noop", noop, "default", 3),
    ]
)


def with_box() -> JobRegistry:
    """The box's kinds (diagnostics.sleep, jobs.prune...) and the test kinds."""
    return box_registry(get_settings()).including(registry)
