"""Background jobs as the web UI sees them (the queue lives in the box's database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from edge.jobs.admin import JobAdmin
from edge.jobs.models import JobState
from edge.jobs.queue import JobQueue
from edge.jobs.registry import JobRegistry
from edge.jobs.store import engine_for

FINISHED = {JobState.COMPLETED.value, JobState.DISCARDED.value, JobState.CANCELLED.value}
STREAM_POLL_S = 0.5


class JobService:
    """List, steer and follow jobs of the kinds ``registry`` declares."""

    def __init__(self, db_path: Path, registry: JobRegistry) -> None:
        self.queue = JobQueue(engine_for(db_path), registry)
        self.admin = JobAdmin(self.queue.engine)

    async def close(self) -> None:
        """Dispose of the connections."""
        await self.queue.close()

    def kinds(self) -> list[str]:
        """Job kinds an operator may enqueue."""
        return self.queue.registry.names()

    async def enqueue(self, kind: str, payload: dict[str, Any], queue: str | None) -> int:
        """Add a job."""
        return await self.queue.enqueue(kind, payload, queue=queue)

    async def follow(self, job_id: int, after: int = 0) -> AsyncIterator[dict[str, Any]]:
        """Log lines and progress of a job as they come, until it is finished."""
        last: tuple[str, int, str] | None = None
        while True:
            job = await self.admin.get(job_id)
            for line in await self.admin.logs(job_id, after):
                after = line["id"]
                yield {"event": "log", "id": after, "data": line}
            state = (job["state"], job["progress"], job["stage"])
            if state != last:
                last = state
                yield {
                    "event": "state",
                    "data": {"state": state[0], "progress": state[1], "stage": state[2]},
                }
            if job["state"] in FINISHED:
                return
            await asyncio.sleep(STREAM_POLL_S)
