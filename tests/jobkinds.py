"""Job kinds used by the job-queue tests (workers load them with ``--import tests.jobkinds``)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from edge.jobs import JobContext, job_kind


@job_kind("test.record", queue="default", max_attempts=3)
async def record(ctx: JobContext, payload: dict[str, Any]) -> int:
    """Append 'job pid start end' (ns) to a per-process file; optionally sleep in between."""
    start = time.monotonic_ns()
    if payload.get("sleep_s"):
        await asyncio.sleep(float(payload["sleep_s"]))
    end = time.monotonic_ns()
    folder = Path(str(payload["folder"]))
    with (folder / f"runs-{os.getpid()}.txt").open("a", encoding="ascii") as file:
        file.write(f"{ctx.job_id} {os.getpid()} {start} {end}\n")
    return ctx.job_id


@job_kind("test.fail", queue="default", max_attempts=3)
async def fail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Always raise."""
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@job_kind("test.noop", queue="default", max_attempts=3)
async def noop(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Do nothing (benchmarks)."""
