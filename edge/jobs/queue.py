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
from edge.jobs.errors import UnknownKind
from edge.jobs.lease import Holder, holder_is_dead, monotonic_us
from edge.jobs.models import PENDING, UNFINISHED, Job, JobLog, JobQueueState, JobState
from edge.jobs.registry import KINDS

J = Job.__table__  # type: ignore[attr-defined]
L = JobLog.__table__  # type: ignore[attr-defined]
Q = JobQueueState.__table__  # type: ignore[attr-defined]

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 600.0
LEASE_S = 60.0
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
    """Worker-side operations on the queue's tables."""

    def __init__(self, engine: AsyncEngine, holder: Holder | None = None) -> None:
        self.engine = engine
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
        spec = KINDS.get(kind)
        if spec is None:
            known = ", ".join(sorted(KINDS)) or "none"
            raise UnknownKind([], f"unknown job kind {kind!r} (known: {known})")
        now = now_us()
        at = now + int(delay_s * _S)
        async with self.transaction() as connection:
            if unique_key is not None:
                found = await connection.execute(
                    select(J.c.id).where(
                        J.c.unique_key == unique_key, J.c.state.in_([s.value for s in UNFINISHED])
                    )
                )
                existing = found.scalar()
                if existing is not None:
                    return int(existing)
            row = await connection.execute(
                insert(J)
                .values(
                    kind=kind,
                    queue=queue or spec.queue,
                    priority=priority,
                    state=(JobState.SCHEDULED if at > now else JobState.AVAILABLE).value,
                    payload=json.dumps(payload or {}),
                    errors="[]",
                    attempt=0,
                    max_attempts=max_attempts or spec.max_attempts,
                    unique_key=unique_key,
                    progress=0,
                    stage="",
                    cancel_requested=False,
                    scheduled_at_us=at,
                    created_us=now,
                )
                .returning(J.c.id)
            )
            return int(row.scalar_one())

    async def claim(self, queues: Sequence[str], limit: int) -> list[Claimed]:
        """Take up to ``limit`` due jobs of unpaused ``queues``, within each queue's concurrency."""
        claimed: list[Claimed] = []
        now, mono = now_us(), monotonic_us()
        async with self.transaction() as connection:
            await self._ensure_queues(connection, queues)
            query = select(Q.c.name, Q.c.concurrency).where(Q.c.name.in_(queues), ~Q.c.paused)
            if self.postgres:
                query = query.with_for_update()  # serialises claims per queue across hosts
            open_queues = (await connection.execute(query)).all()
            counts = await connection.execute(
                select(J.c.queue, func.count())
                .where(J.c.state == JobState.EXECUTING.value, J.c.queue.in_(queues))
                .group_by(J.c.queue)
            )
            running: dict[str, int] = {q: int(n) for q, n in counts.all()}
            for name, concurrency in open_queues:
                room = min(limit - len(claimed), concurrency - running.get(name, 0))
                if room <= 0:
                    continue
                due = (
                    select(J.c.id)
                    .where(
                        J.c.queue == name,
                        J.c.state.in_([s.value for s in PENDING]),
                        J.c.scheduled_at_us <= now,
                    )
                    .order_by(J.c.priority, J.c.scheduled_at_us, J.c.id)
                    .limit(room)
                )
                if self.postgres:
                    due = due.with_for_update(skip_locked=True)
                rows = await connection.execute(
                    update(J)
                    .where(J.c.id.in_(due.scalar_subquery()))
                    .values(
                        state=JobState.EXECUTING.value,
                        attempt=J.c.attempt + 1,
                        attempted_us=now,
                        cancel_requested=False,
                        holder_host=self.holder.host,
                        holder_boot=self.holder.boot,
                        holder_pid=self.holder.pid,
                        holder_start=self.holder.start,
                        heartbeat_mono_us=mono,
                        heartbeat_us=now,
                    )
                    .returning(
                        J.c.id, J.c.kind, J.c.queue, J.c.payload, J.c.attempt, J.c.max_attempts
                    )
                )
                claimed += [
                    Claimed(i, k, q, json.loads(p), a, m) for i, k, q, p, a, m in rows.all()
                ]
        return sorted(claimed, key=lambda c: c.id)

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
        now = now_us()
        done = 0
        async with self.transaction() as connection:
            for job, result in jobs:
                outcome = await connection.execute(
                    update(J)
                    .where(self._mine(job))
                    .values(
                        state=JobState.COMPLETED.value,
                        result=json.dumps(result),
                        progress=100,
                        finished_us=now,
                        holder_pid=None,
                    )
                )
                done += outcome.rowcount
        return done

    async def fail(self, job: Claimed, error: str) -> JobState | None:
        """Record a failure: retryable after a backoff, or discarded after max_attempts."""
        now = now_us()
        async with self.transaction() as connection:
            found = await connection.execute(select(J.c.errors).where(self._mine(job)))
            errors = found.scalar()
            if errors is None:
                return None  # no longer ours: a newer attempt owns the job
            history = [*json.loads(errors), {"attempt": job.attempt, "at_us": now, "error": error}]
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
        now, mono = now_us(), monotonic_us()
        rescued = 0
        async with self.transaction() as connection:
            rows = await connection.execute(
                select(
                    J.c.id,
                    J.c.attempt,
                    J.c.max_attempts,
                    J.c.errors,
                    J.c.holder_host,
                    J.c.holder_boot,
                    J.c.holder_pid,
                    J.c.holder_start,
                    J.c.heartbeat_mono_us,
                    J.c.heartbeat_us,
                ).where(J.c.state == JobState.EXECUTING.value)
            )
            for job_id, attempt, maximum, errors, host, boot, pid, start, beat, wall in rows:
                dead = holder_is_dead(host, boot, pid, start)
                if host == self.holder.host and boot == self.holder.boot:
                    hung = mono - (beat or 0) > lease_s * _S
                else:  # another machine's worker: only its wall-clock heartbeat is known
                    hung = now - (wall or 0) > lease_s * _S
                if not (dead or hung):
                    continue
                why = f"rescued: worker {host} pid {pid} {'died' if dead else 'stopped beating'}"
                history = [*json.loads(errors), {"attempt": attempt, "at_us": now, "error": why}]
                final = attempt >= maximum
                state = JobState.DISCARDED if final else JobState.AVAILABLE
                outcome = await connection.execute(
                    update(J)
                    .where(
                        J.c.id == job_id,
                        J.c.attempt == attempt,
                        J.c.state == JobState.EXECUTING.value,
                    )
                    .values(
                        state=state.value,
                        errors=json.dumps(history),
                        holder_pid=None,
                        scheduled_at_us=now,
                        finished_us=now if final else None,
                    )
                )
                rescued += outcome.rowcount
        return rescued

    async def _ensure_queues(self, connection: AsyncConnection, queues: Sequence[str]) -> None:
        known = set(
            (await connection.execute(select(Q.c.name).where(Q.c.name.in_(queues)))).scalars()
        )
        for name in queues:
            if name not in known:
                await connection.execute(insert(Q).values(name=name, paused=False, concurrency=10))
