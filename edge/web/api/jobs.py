"""/api/v1/jobs: background jobs (list, stats, enqueue, retry, cancel, pause, logs as SSE)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from edge.services.jobs import JobService


@dataclass
class EnqueueIn:
    """A job to add."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None


class JobController(Controller):
    """Background jobs of this box."""

    path = "/api/v1/jobs"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/")
    async def list_jobs(
        self,
        jobs: NamedDependency[JobService],
        job_state: Annotated[str | None, QueryParameter(name="state")] = None,
        limit: FromQuery[int] = 100,
    ) -> list[dict[str, Any]]:
        """Jobs, newest first (``?state=`` for one state)."""
        return await jobs.admin.list(job_state, min(limit, 1000))

    @get("/stats")
    async def stats(self, jobs: NamedDependency[JobService]) -> dict[str, Any]:
        """Counts per state and queue; whether a worker is running."""
        return await jobs.admin.stats()

    @post("/")
    async def enqueue(
        self, data: JSONBody[EnqueueIn], jobs: NamedDependency[JobService]
    ) -> dict[str, int]:
        """Add a job (201)."""
        return {"id": await jobs.enqueue(data.kind, data.payload, data.queue)}

    @get("/{job_id:int}")
    async def show(
        self, job_id: FromPath[int], jobs: NamedDependency[JobService]
    ) -> dict[str, Any]:
        """A job with its errors and its log."""
        return {**await jobs.admin.get(job_id), "logs": await jobs.admin.logs(job_id)}

    @post("/{job_id:int}/retry", status_code=200)
    async def retry(
        self, job_id: FromPath[int], jobs: NamedDependency[JobService]
    ) -> dict[str, str]:
        """Run a finished job again."""
        await jobs.admin.retry(job_id)
        return {"state": "available"}

    @post("/{job_id:int}/cancel", status_code=200)
    async def cancel(
        self, job_id: FromPath[int], jobs: NamedDependency[JobService]
    ) -> dict[str, str]:
        """Cancel a pending job, or ask a running one to stop."""
        return {"state": await jobs.admin.cancel(job_id)}

    @post("/queues/{name:str}/pause", status_code=200)
    async def pause(
        self, name: FromPath[str], jobs: NamedDependency[JobService]
    ) -> dict[str, bool]:
        """Pause a queue."""
        await jobs.admin.set_paused(name, True)
        return {"paused": True}

    @post("/queues/{name:str}/resume", status_code=200)
    async def resume(
        self, name: FromPath[str], jobs: NamedDependency[JobService]
    ) -> dict[str, bool]:
        """Resume a queue."""
        await jobs.admin.set_paused(name, False)
        return {"paused": False}

    @get("/{job_id:int}/stream", media_type="text/event-stream")
    async def stream(
        self, job_id: FromPath[int], jobs: NamedDependency[JobService], after: FromQuery[int] = 0
    ) -> ServerSentEvent:
        """Server-Sent Events: ``log`` lines (id = cursor) and ``state`` changes, until done."""
        await jobs.admin.get(job_id)  # 404 before the stream starts

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for item in jobs.follow(job_id, after):
                yield ServerSentEventMessage(
                    data=json.dumps(item["data"]), event=item["event"], id=item.get("id")
                )

        return ServerSentEvent(events())
