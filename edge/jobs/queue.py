"""The queue as workers use it: enqueue, claim, finish, beat, rescue.

States: scheduled -> available -> executing -> completed | retryable | discarded
| cancelled. A claim is one ``UPDATE job ... WHERE id IN (SELECT ... LIMIT n)
RETURNING`` in one write transaction (BEGIN IMMEDIATE on SQLite, FOR UPDATE
SKIP LOCKED on PostgreSQL): never read-then-write. Every later write by the
worker names the attempt and the holder it claimed with, so a worker presumed
dead cannot overwrite a newer attempt.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from edge.domain.clock import now_us
from edge.errors import InvalidInput, Problem
from edge.jobs.lease import Holder, monotonic_us
from edge.jobs.models import UNFINISHED, Cause, Job, JobLog, JobQueueState, JobState
from edge.jobs.registry import JobRegistry
from edge.jobs.rescue import rescue_jobs
from edge.jobs.statements import statements

J = Job.__table__  # type: ignore[attr-defined]
L = JobLog.__table__  # type: ignore[attr-defined]
Q = JobQueueState.__table__  # type: ignore[attr-defined]

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 600.0
LEASE_S = 60.0
DEFAULT_CONCURRENCY = 10
MOST_ATTEMPTS = 1000
"""The largest ``max_attempts`` a job may be given (a column of 32 bits on PostgreSQL)."""
_S = 1_000_000


@dataclass(frozen=True)
class Claimed:
    """A job this worker holds."""

    id: int
    kind: str
    queue: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def backoff_s(attempt: int) -> float:
    """Seconds before retry ``attempt`` + 1: exponential, capped, with ±25 % jitter."""
    base = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempt - 1))
    return float(base * random.uniform(0.75, 1.25))


class JobQueue:
    """Worker-side operations on the queue's tables, for the kinds of ``registry``."""

    def __init__(
        self, engine: AsyncEngine, registry: JobRegistry, holder: Holder | None = None
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.holder = holder or Holder.me()
        self.postgres = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite by the project's rules)."""
        async with self.engine.begin() as connection:
            yield connection

    async def close(self) -> None:
        """Dispose of the connections."""
        await self.engine.dispose()

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        queue: str | None = None,
        priority: int = 0,
        max_attempts: int | None = None,
        delay_s: float = 0.0,
        unique_key: str | None = None,
    ) -> int:
        """Add a job; with ``unique_key``, return the unfinished job holding that key instead."""
        row = self._new_row(kind, payload, queue, priority, max_attempts, delay_s, unique_key)
        async with self.transaction() as connection:
            if unique_key is not None:
                if self.postgres:
                    # Serialise enqueues of one key until commit: under READ COMMITTED two
                    # of them would each find no job and insert their own (SQLite's BEGIN
                    # IMMEDIATE already serialises every writer).
                    await connection.execute(
                        select(func.pg_advisory_xact_lock(func.hashtext(unique_key)))
                    )
                found = await connection.execute(
                    select(J.c.id).where(
                        J.c.unique_key == unique_key, J.c.state.in_([s.value for s in UNFINISHED])
                    )
                )
                existing = found.scalar()
                if existing is not None:
                    return int(existing)
            added = await connection.execute(statements(self.postgres).enqueue, row)
            return int(added.scalar_one())

    async def enqueue_many(
        self,
        kind: str,
        payloads: Sequence[dict[str, Any]],
        *,
        queue: str | None = None,
        priority: int = 0,
        max_attempts: int | None = None,
        delay_s: float = 0.0,
    ) -> list[int]:
        """Add one job per payload in one transaction (one fsync); return the new ids, ascending."""
        template = self._new_row(kind, None, queue, priority, max_attempts, delay_s, None)
        rows = [{**template, "payload": json.dumps(payload)} for payload in payloads]
        if not rows:
            return []
        async with self.transaction() as connection:
            # Batched into multi-row INSERTs; without sort_by_parameter_order, which on
            # SQLite falls back to one INSERT per row, so RETURNING comes in no set order.
            added = await connection.execute(statements(self.postgres).enqueue, rows)
            return sorted(int(i) for i in added.scalars())

    def _new_row(
        self,
        kind: str,
        payload: dict[str, Any] | None,
        queue: str | None,
        priority: int,
        max_attempts: int | None,
        delay_s: float,
        unique_key: str | None,
    ) -> dict[str, Any]:
        spec = self.registry.kind(kind)
        if max_attempts is not None and not 1 <= max_attempts <= MOST_ATTEMPTS:
            reason = f"must be a whole number from 1 to {MOST_ATTEMPTS}, not {max_attempts}"
            raise InvalidInput([Problem("max_attempts", reason)], f"max_attempts {reason}")
        now = now_us()
        at = now + int(delay_s * _S)
        return {
            "kind": kind,
            "queue": queue or spec.queue,
            "priority": priority,
            "state": (JobState.SCHEDULED if at > now else JobState.AVAILABLE).value,
            "payload": json.dumps(payload or {}),
            "errors": "[]",
            "attempt": 0,
            "max_attempts": spec.max_attempts if max_attempts is None else max_attempts,
            "unique_key": unique_key,
            "progress": 0,
            "stage": "",
            "cancel_requested": False,
            "scheduled_at_us": at,
            "created_us": now,
        }

    async def claim(
        self,
        queues: Sequence[str],
        limit: int,
        *,
        completed: Sequence[tuple[Claimed, Any]] = (),
    ) -> list[Claimed]:
        """Take up to ``limit`` due jobs of unpaused ``queues``, within each queue's concurrency.

        ``completed`` (jobs this worker finished, with their results) is recorded in the
        same transaction first: a worker's loop costs one commit, one fsync.
        """
        claimed: list[Claimed] = []
        now, mono = now_us(), monotonic_us()
        sql = statements(self.postgres)
        async with self.transaction() as connection:
            await self._complete(connection, completed, now)
            if limit <= 0:
                return []
            for name, free in await self._rooms(connection, queues):
                room = min(limit - len(claimed), free)
                if room <= 0:
                    continue
                rows = await connection.execute(
                    sql.claim,
                    {"b_queue": name, "room": room, "now": now, "mono": mono, **self._holder},
                )
                claimed += [
                    Claimed(i, k, q, json.loads(p), a, m) for i, k, q, p, a, m in rows.all()
                ]
        return sorted(claimed, key=lambda c: c.id)

    @property
    def _holder(self) -> dict[str, Any]:
        """This worker's name as the statements' parameters."""
        h = self.holder
        return {"host": h.host, "boot": h.boot, "pid": h.pid, "start": h.start}

    def _mine(self, job: Claimed) -> Any:
        return and_(
            J.c.id == job.id,
            J.c.state == JobState.EXECUTING.value,
            J.c.attempt == job.attempt,
            J.c.holder_pid == self.holder.pid,
            J.c.holder_boot == self.holder.boot,
            J.c.holder_host == self.holder.host,
        )

    async def complete(self, jobs: Sequence[tuple[Claimed, Any]]) -> int:
        """Record jobs as completed with their results; return how many this worker still held."""
        if not jobs:
            return 0
        async with self.transaction() as connection:
            return await self._complete(connection, jobs, now_us())

    async def _complete(
        self, connection: AsyncConnection, jobs: Sequence[tuple[Claimed, Any]], now: int
    ) -> int:
        if not jobs:
            return 0
        statement = statements(self.postgres).complete
        if self.postgres:
            outcome = await connection.execute(
                statement,
                {
                    "ids": [job.id for job, _ in jobs],
                    "attempts": [job.attempt for job, _ in jobs],
                    "results": [json.dumps(result) for _, result in jobs],
                    "now": now,
                    **self._holder,
                },
            )
        else:
            outcome = await connection.execute(
                statement,
                [
                    {
                        "b_id": job.id,
                        "b_attempt": job.attempt,
                        "b_result": json.dumps(result),
                        "now": now,
                        **self._holder,
                    }
                    for job, result in jobs
                ],
            )
        return int(outcome.rowcount)

    async def fail(self, job: Claimed, error: str) -> JobState | None:
        """Record a failure: retryable after a backoff, or discarded after max_attempts."""
        now = now_us()
        async with self.transaction() as connection:
            found = await connection.execute(select(J.c.errors).where(self._mine(job)))
            errors = found.scalar()
            if errors is None:
                return None  # no longer ours: a newer attempt owns the job
            failure = {"attempt": job.attempt, "at_us": now, "error": error, "cause": Cause.RAISED}
            history = [*json.loads(errors), failure]
            final = job.attempt >= job.max_attempts
            state = JobState.DISCARDED if final else JobState.RETRYABLE
            await connection.execute(
                update(J)
                .where(self._mine(job))
                .values(
                    state=state.value,
                    errors=json.dumps(history),
                    finished_us=now if final else None,
                    scheduled_at_us=now + int(backoff_s(job.attempt) * _S),
                    holder_pid=None,
                )
            )
        return state

    async def cancelled(self, job: Claimed) -> None:
        """The job stopped because it was cancelled."""
        async with self.transaction() as connection:
            await connection.execute(
                update(J)
                .where(self._mine(job))
                .values(state=JobState.CANCELLED.value, finished_us=now_us(), holder_pid=None)
            )

    async def release(self, jobs: Sequence[Claimed]) -> None:
        """Give jobs back untouched (shutdown): available again, the attempt not counted."""
        async with self.transaction() as connection:
            for job in jobs:
                await connection.execute(
                    update(J)
                    .where(self._mine(job))
                    .values(
                        state=JobState.AVAILABLE.value,
                        attempt=J.c.attempt - 1,
                        holder_pid=None,
                        scheduled_at_us=now_us(),
                    )
                )

    async def beat(
        self, job_id: int, attempt: int, pid: int, percent: int | None, stage: str | None
    ) -> bool:
        """A job's heartbeat (and progress); True when it must stop (cancelled or lost)."""
        values: dict[str, Any] = {"heartbeat_mono_us": monotonic_us(), "heartbeat_us": now_us()}
        if percent is not None:
            values["progress"] = percent
        if stage is not None:
            values["stage"] = stage
        async with self.transaction() as connection:
            row = await connection.execute(
                update(J)
                .where(
                    J.c.id == job_id,
                    J.c.attempt == attempt,
                    J.c.holder_pid == pid,
                    J.c.state == JobState.EXECUTING.value,
                )
                .values(**values)
                .returning(J.c.cancel_requested)
            )
            flag = row.scalar()
        return flag is None or bool(flag)

    async def beat_all(self, jobs: Sequence[Claimed]) -> set[int]:
        """Heartbeat every job this worker runs; return the ids whose cancel was asked."""
        if not jobs:
            return set()
        async with self.transaction() as connection:
            rows = await connection.execute(
                update(J)
                .where(
                    J.c.id.in_([j.id for j in jobs]),
                    J.c.holder_pid == self.holder.pid,
                    J.c.state == JobState.EXECUTING.value,
                )
                .values(heartbeat_mono_us=monotonic_us(), heartbeat_us=now_us())
                .returning(J.c.id, J.c.cancel_requested)
            )
            return {i for i, flag in rows.all() if flag}

    async def log(self, job_id: int, message: str, level: str = "info") -> None:
        """Append a line to a job's log."""
        async with self.transaction() as connection:
            await connection.execute(
                insert(L).values(job_id=job_id, at_us=now_us(), level=level, message=message)
            )

    async def rescue(self, lease_s: float = LEASE_S) -> int:
        """Put back jobs whose holder is dead (at once) or hung (heartbeat older than the lease)."""
        return await rescue_jobs(self, lease_s)

    async def _rooms(self, connection: AsyncConnection, queues: Sequence[str]) -> list[Any]:
        """(queue, free slots) of the unpaused ``queues``; creates the rows of new queues."""
        sql = statements(self.postgres)
        if sql.lock_queues is not None:
            # Lock the queue rows first: claims of one queue serialise across hosts. The
            # count of running jobs is then read by a statement of its own, which sees
            # the claims committed while we waited (READ COMMITTED snapshots per statement).
            await connection.execute(sql.lock_queues, {"queues": list(queues)})
        rows = (await connection.execute(sql.rooms, {"queues": list(queues)})).all()
        missing = set(queues) - {row[0] for row in rows}
        if missing:
            for name in sorted(missing):
                await connection.execute(
                    sql.add_queue, {"name": name, "concurrency": DEFAULT_CONCURRENCY}
                )
            return await self._rooms(connection, queues)
        return [(name, free) for name, paused, free in rows if not paused]
