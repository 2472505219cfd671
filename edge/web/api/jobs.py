"""/api/v1/jobs: background jobs (list, stats, enqueue, retry, cancel, pause, logs as SSE)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict, cast

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from edge.jobs.models import JobState
from edge.services.jobs import JobService
from edge.store.database import SQL_INT_MAX


@dataclass
class EnqueueIn:
    """A job to add."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None


class JobSummary(TypedDict):
    """A job in a list."""

    id: int
    kind: str
    queue: str
    state: str
    attempt: int
    max_attempts: int
    progress: int
    stage: str
    scheduled_at_us: int
    created_us: int
    interrupted: bool  # its latest attempt was cut off by a crash


class JobLogLine(TypedDict):
    """A line of a job's log; ``id`` is the cursor of ``/stream?after=``."""

    id: int
    at_us: int
    level: str
    message: str


class JobDetail(TypedDict):
    """A job with its payload, result, errors and log."""

    id: int
    kind: str
    queue: str
    priority: int
    state: str
    payload: Any
    result: Any
    errors: list[dict[str, Any]]  # {attempt, at_us, error, cause}
    attempt: int
    max_attempts: int
    unique_key: str | None
    progress: int
    stage: str
    cancel_requested: bool
    scheduled_at_us: int
    created_us: int
    attempted_us: int | None
    finished_us: int | None
    holder_host: str | None
    holder_boot: str | None
    holder_pid: int | None
    holder_start: int | None
    heartbeat_mono_us: int | None
    heartbeat_us: int | None
    interrupted: bool
    logs: list[JobLogLine]


class QueueStats(TypedDict):
    """A queue: paused or not, its concurrency, its jobs per state."""

    paused: bool
    concurrency: int
    states: dict[str, int]


class WorkerStats(TypedDict):
    """The freshest worker heartbeat."""

    heartbeat_age_s: float | None
    running: bool


class JobStats(TypedDict):
    """Jobs per state and per queue; whether a worker is running."""

    states: dict[str, int]
    queues: dict[str, QueueStats]
    worker: WorkerStats


@dataclass
class JobCreated:
    """The id of the job added."""

    id: int


@dataclass
class JobStateOut:
    """The job's state after the action."""

    state: str


@dataclass
class QueuePaused:
    """Whether the queue is paused now."""

    paused: bool


# JobAdmin answers plain dicts (its rows); these casts only name their shape for /schema.


class JobController(Controller):
    """Background jobs of this box."""

    path = "/api/v1/jobs"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/")
    async def list_jobs(
        self,
        jobs: NamedDependency[JobService],
        job_state: Annotated[JobState | None, QueryParameter(name="state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[JobSummary]:
        """Jobs, newest first (``?state=`` for one state, 400 for an unknown one)."""
        state = job_state.value if job_state is not None else None
        return cast(list[JobSummary], await jobs.admin.list(state, limit))

    @get("/stats")
    async def stats(self, jobs: NamedDependency[JobService]) -> JobStats:
        """Counts per state and queue; whether a worker is running."""
        return cast(JobStats, await jobs.admin.stats())

    @post("/")
    async def enqueue(
        self, data: JSONBody[EnqueueIn], jobs: NamedDependency[JobService]
    ) -> JobCreated:
        """Add a job (201)."""
        return JobCreated(await jobs.enqueue(data.kind, data.payload, data.queue))

    @get("/{job_id:int}")
    async def show(self, job_id: FromPath[int], jobs: NamedDependency[JobService]) -> JobDetail:
        """A job with its errors and its log."""
        job = {**await jobs.admin.get(job_id), "logs": await jobs.admin.logs(job_id)}
        return cast(JobDetail, job)

    @post("/{job_id:int}/retry", status_code=200)
    async def retry(self, job_id: FromPath[int], jobs: NamedDependency[JobService]) -> JobStateOut:
        """Run a finished job again."""
        await jobs.admin.retry(job_id)
        return JobStateOut("available")

    @post("/{job_id:int}/cancel", status_code=200)
    async def cancel(self, job_id: FromPath[int], jobs: NamedDependency[JobService]) -> JobStateOut:
        """Cancel a pending job, or ask a running one to stop."""
        return JobStateOut(await jobs.admin.cancel(job_id))

    @post("/queues/{name:str}/pause", status_code=200)
    async def pause(self, name: FromPath[str], jobs: NamedDependency[JobService]) -> QueuePaused:
        """Pause a queue."""
        await jobs.admin.set_paused(name, True)
        return QueuePaused(True)

    @post("/queues/{name:str}/resume", status_code=200)
    async def resume(self, name: FromPath[str], jobs: NamedDependency[JobService]) -> QueuePaused:
        """Resume a queue."""
        await jobs.admin.set_paused(name, False)
        return QueuePaused(False)

    @get("/{job_id:int}/stream", media_type="text/event-stream")
    async def stream(
        self,
        job_id: FromPath[int],
        jobs: NamedDependency[JobService],
        after: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 0,
    ) -> ServerSentEvent:
        """Server-Sent Events: ``log`` lines (id = cursor) and ``state`` changes, until done."""
        await jobs.admin.get(job_id)  # 404 before the stream starts

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for item in jobs.follow(job_id, after):
                yield ServerSentEventMessage(
                    data=json.dumps(item["data"]), event=item["event"], id=item.get("id")
                )

        return ServerSentEvent(events())
