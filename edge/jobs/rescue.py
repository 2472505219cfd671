"""Rescue: give back the jobs of workers that died or hung.

How a holder is judged dead or hung without the wall clock is in ``lease.py``.
A rescued job is available again at once (or discarded when that was its last
attempt), with the reason kept among its errors as an attempt ``interrupted``
(``Cause``), not one that raised; the attempt it had stays counted, and the old
holder can no longer record anything for it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from edge.domain.clock import now_us
from edge.jobs.lease import holder_is_dead, monotonic_us
from edge.jobs.models import Cause, JobState
from edge.jobs.statements import J

if TYPE_CHECKING:
    from edge.jobs.queue import JobQueue

_S = 1_000_000


async def rescue_jobs(queue: JobQueue, lease_s: float) -> int:
    """Put back jobs whose holder is dead (at once) or hung (heartbeat older than the lease)."""
    now, mono = now_us(), monotonic_us()
    rescued = 0
    async with queue.transaction() as connection:
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
            if host == queue.holder.host and boot == queue.holder.boot:
                hung = mono - (beat or 0) > lease_s * _S
            else:  # another machine's worker: only its wall-clock heartbeat is known
                hung = now - (wall or 0) > lease_s * _S
            if not (dead or hung):
                continue
            why = f"rescued: worker {host} pid {pid} {'died' if dead else 'stopped beating'}"
            failure = {"attempt": attempt, "at_us": now, "error": why, "cause": Cause.INTERRUPTED}
            history = [*json.loads(errors), failure]
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
