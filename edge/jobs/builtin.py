"""Job kinds every box has: a diagnostic sleep and the pruning of old jobs (declared in box.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from edge.errors import InvalidInput, Problem
from edge.jobs.admin import PRUNE_AFTER_S, JobAdmin
from edge.jobs.context import JobContext


async def diagnostics_sleep(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Sleep ``seconds`` in steps, logging and reporting progress; stops when cancelled."""
    seconds = payload.get("seconds", 1)
    if not isinstance(seconds, int | float) or not 0 <= seconds <= 86_400:
        raise InvalidInput([Problem("seconds", "a number of seconds from 0 to 86400")])
    steps = max(1, int(seconds * 10))
    await ctx.log(f"sleeping {seconds} s")
    for step in range(steps):
        await asyncio.sleep(seconds / steps)
        await ctx.progress(
            int(100 * (step + 1) / steps), f"slept {(step + 1) * seconds / steps:.1f} s"
        )
    if payload.get("fail"):
        raise RuntimeError(str(payload["fail"]))
    await ctx.log("done")
    return {"slept_s": seconds}


async def prune_jobs(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    """Delete completed and cancelled jobs older than ``older_than_s`` (default 7 days)."""
    older = float(payload.get("older_than_s", PRUNE_AFTER_S))
    removed = await JobAdmin(ctx.queue.engine).prune(older)
    await ctx.log(f"pruned {removed} jobs finished more than {older:.0f} s ago")
    return {"removed": removed}
