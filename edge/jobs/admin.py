"""Operator actions on the queue: look, cancel, retry, pause, resume, prune, statistics."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from edge.domain.clock import now_us
from edge.errors import Problem
from edge.jobs.errors import JobNotFound, JobStateConflict, UnknownState
from edge.jobs.models import PENDING, Cause, JobState
from edge.jobs.queue import J, L, Q
from edge.jobs.store import TABLES
from edge.store.sqlite import BEGIN_OPTION

W = TABLES[3]
HEARTBEAT_S = 2.0
"""How often a worker writes its heartbeat; the UI says "not running" after 3 times that."""
PRUNE_AFTER_S = 7 * 24 * 3600
RETRIABLE = {
    JobState.DISCARDED,
    JobState.CANCELLED,
    JobState.COMPLETED,
    JobState.RETRYABLE,  # failed, waiting for its backoff: the operator need not wait
}
"""States an operator may run a job again from, at once."""
_S = 1_000_000


def interrupted(errors: list[dict[str, Any]], attempt: int) -> bool:
    """Whether the job's latest attempt was cut off by a crash (its worker died or hung)."""
    if not errors:
        return False
    last = errors[-1]
    return bool(last.get("cause") == Cause.INTERRUPTED and last.get("attempt") == attempt)


class JobAdmin:
    """What an operator (CLI, web page) does to jobs and queues."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Reads must not take SQLite's write lock (BEGIN IMMEDIATE): a UI polling
        # job states would starve the workers' claims.
        self.reader = engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})

    async def get(self, job_id: int) -> dict[str, Any]:
        """One job with its errors."""
        async with self.reader.connect() as connection:
            row = (await connection.execute(select(J).where(J.c.id == job_id))).mappings().first()
        if row is None:
            raise JobNotFound(f"no job {job_id}")
        job = dict(row)
        job["payload"] = json.loads(job["payload"])
        job["errors"] = json.loads(job["errors"])
        job["interrupted"] = interrupted(job["errors"], job["attempt"])
        job["result"] = json.loads(job["result"]) if job["result"] is not None else None
        return job

    async def logs(self, job_id: int, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Log lines of a job after cursor ``after`` (a log line's id)."""
        async with self.reader.connect() as connection:
            rows = await connection.execute(
                select(L.c.id, L.c.at_us, L.c.level, L.c.message)
                .where(L.c.job_id == job_id, L.c.id > after)
                .order_by(L.c.id)
                .limit(limit)
            )
            return [dict(r) for r in rows.mappings()]

    async def list(self, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Jobs, newest first, optionally in one state (``interrupted``: see ``interrupted``)."""
        query = select(
            J.c.id,
            J.c.kind,
            J.c.queue,
            J.c.state,
            J.c.attempt,
            J.c.max_attempts,
            J.c.progress,
            J.c.stage,
            J.c.scheduled_at_us,
            J.c.created_us,
            J.c.errors,
        )
        if state is not None:
            _check_state(state)  # a typo is an error, not an empty list
            query = query.where(J.c.state == state)
        async with self.reader.connect() as connection:
            rows = await connection.execute(query.order_by(J.c.id.desc()).limit(limit))
            jobs = [dict(r) for r in rows.mappings()]
        for job in jobs:
            job["interrupted"] = interrupted(json.loads(job.pop("errors")), job["attempt"])
        return jobs

    async def cancel(self, job_id: int) -> str:
        """Cancel at once if pending; ask a running job to stop at its next heartbeat."""
        async with self.engine.begin() as connection:
            state = await self._state(connection, job_id)
            if state in {s.value for s in PENDING}:
                await connection.execute(
                    update(J)
                    .where(J.c.id == job_id)
                    .values(state=JobState.CANCELLED.value, finished_us=now_us())
                )
                return JobState.CANCELLED.value
            if state == JobState.EXECUTING.value:
                await connection.execute(
                    update(J).where(J.c.id == job_id).values(cancel_requested=True)
                )
                return "cancelling"
        raise JobStateConflict(f"job {job_id} is {state}: nothing to cancel")

    async def retry(self, job_id: int) -> None:
        """Run a finished job again, or a failed one now (one more attempt if it used them all)."""
        async with self.engine.begin() as connection:
            state = await self._state(connection, job_id)
            if state not in RETRIABLE:
                raise JobStateConflict(f"job {job_id} is {state}: it will run anyway")
            await connection.execute(
                update(J)
                .where(J.c.id == job_id)
                .values(
                    state=JobState.AVAILABLE.value,
                    scheduled_at_us=now_us(),
                    finished_us=None,
                    cancel_requested=False,
                    max_attempts=func.max(J.c.max_attempts, J.c.attempt + 1)
                    if self.engine.dialect.name == "sqlite"
                    else func.greatest(J.c.max_attempts, J.c.attempt + 1),
                )
            )

    async def set_paused(self, queue: str, paused: bool) -> None:
        """Pause a queue (running jobs finish; nothing new starts) or resume it."""
        async with self.engine.begin() as connection:
            found = await connection.execute(select(Q.c.name).where(Q.c.name == queue))
            if found.first() is None:
                await connection.execute(
                    insert(Q).values(name=queue, paused=paused, concurrency=10)
                )
            else:
                await connection.execute(update(Q).where(Q.c.name == queue).values(paused=paused))

    async def set_concurrency(self, queue: str, concurrency: int) -> None:
        """How many jobs of ``queue`` may run at once across workers."""
        if concurrency < 1:
            raise JobStateConflict("a queue's concurrency is at least 1")
        await self.set_paused(queue, await self._paused(queue))
        async with self.engine.begin() as connection:
            await connection.execute(
                update(Q).where(Q.c.name == queue).values(concurrency=concurrency)
            )

    async def prune(self, older_than_s: float = PRUNE_AFTER_S) -> int:
        """Delete completed and cancelled jobs (and their logs) finished before the cutoff."""
        cutoff = now_us() - int(older_than_s * _S)
        old = select(J.c.id).where(
            J.c.state.in_([JobState.COMPLETED.value, JobState.CANCELLED.value]),
            J.c.finished_us < cutoff,
        )
        async with self.engine.begin() as connection:
            await connection.execute(delete(L).where(L.c.job_id.in_(old.scalar_subquery())))
            gone = await connection.execute(delete(J).where(J.c.id.in_(old.scalar_subquery())))
            return int(gone.rowcount)

    async def stats(self) -> dict[str, Any]:
        """Counts per state and per queue, and the freshest worker heartbeat's age."""
        async with self.reader.connect() as connection:
            per = await connection.execute(
                select(J.c.queue, J.c.state, func.count()).group_by(J.c.queue, J.c.state)
            )
            queues_rows = (await connection.execute(select(Q))).mappings().all()
            beat = (await connection.execute(select(func.max(W.c.heartbeat_us)))).scalar()
        states = {s.value: 0 for s in JobState}
        queues: dict[str, dict[str, Any]] = {
            q["name"]: {"paused": q["paused"], "concurrency": q["concurrency"], "states": {}}
            for q in queues_rows
        }
        for queue, state, count in per.all():
            states[state] += count
            entry = queues.setdefault(queue, {"paused": False, "concurrency": 10, "states": {}})
            entry["states"][state] = count
        age = (now_us() - beat) / _S if beat else None
        return {
            "states": states,
            "queues": queues,
            "worker": {
                "heartbeat_age_s": age,
                "running": age is not None and age <= 3 * HEARTBEAT_S,
            },
        }

    async def _state(self, connection: Any, job_id: int) -> str:
        found = (await connection.execute(select(J.c.state).where(J.c.id == job_id))).scalar()
        if found is None:
            raise JobNotFound(f"no job {job_id}")
        return str(found)

    async def _paused(self, queue: str) -> bool:
        async with self.reader.connect() as connection:
            found = (await connection.execute(select(Q.c.paused).where(Q.c.name == queue))).scalar()
        return bool(found)


def _check_state(state: str) -> None:
    if state not in {s.value for s in JobState}:
        states = ", ".join(s.value for s in JobState)
        reason = f"{state!r} is not a job state ({states})"
        raise UnknownState([Problem("state", reason)], reason)
