"""The worker process: claims jobs, runs them, beats, rescues, drains on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.exc import OperationalError

from edge.domain.clock import now_us
from edge.heap import give_back_free_memory
from edge.jobs.admin import HEARTBEAT_S, W
from edge.jobs.context import JobCancelled, JobContext
from edge.jobs.models import UNFINISHED, JobState
from edge.jobs.queue import LEASE_S, Claimed, J, JobQueue
from edge.jobs.registry import Handler, Periodic, resolve_handler

log = logging.getLogger(__name__)

POLL_S = 0.2
GRACE_S = 10.0
BUSY_PAUSE_S = 1.0
"""How long the worker waits before trying again when the job queue's database is busy."""
T = TypeVar("T")


class Worker:
    """Runs jobs of some queues, ``concurrency`` at a time, with its queue registry's handlers."""

    def __init__(
        self,
        queue: JobQueue,
        queues: Sequence[str],
        concurrency: int,
        *,
        poll_s: float = POLL_S,
        lease_s: float = LEASE_S,
        grace_s: float = GRACE_S,
        periodic: bool = True,
        resources: dict[str, Any] | None = None,
        on_unavailable: Callable[[Exception], Awaitable[None]] | None = None,
    ) -> None:
        self.queue = queue
        # Told each time the job queue refuses a turn (a full disk: see edge.jobs.fulldisk).
        self.on_unavailable = on_unavailable
        self.queues = list(queues)
        self.concurrency = concurrency
        self.poll_s = poll_s
        self.lease_s = lease_s
        self.grace_s = grace_s
        self.periodic = periodic
        self.resources = resources or {}
        # Each kind's module is imported when a job of it first runs (a worker that never
        # exports never loads the spreadsheet and PDF libraries); a module that does not
        # exist fails the worker's start, as an import of every handler would.
        queue.registry.check_modules()
        self.handlers: dict[str, Handler] = {}
        self.running: dict[int, tuple[Claimed, asyncio.Task[None]]] = {}
        self._done: list[tuple[Claimed, Any]] = []
        self._wake = asyncio.Event()
        self._next_periodic: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then drain within the grace period."""
        while not await self._start():
            # A full disk (or a long lock) at start: wait for it, never exit and be
            # restarted in a loop by systemd.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), BUSY_PAUSE_S)
            if stop.is_set():
                return
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + HEARTBEAT_S
        try:
            while not stop.is_set():
                try:
                    next_beat = await self._turn(stop, loop.time(), next_beat)
                except OperationalError as error:
                    # The database busy past its timeout (SQLite's write lock held by a
                    # long write in another process under load) or the server gone: the
                    # same turn again after a pause, never the worker's end.
                    log.warning(
                        "job queue unavailable, retrying in %.1f s: %s", BUSY_PAUSE_S, error
                    )
                    await self._unavailable(error)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), BUSY_PAUSE_S)
        finally:
            await self._drain()

    async def _unavailable(self, error: Exception) -> None:
        if self.on_unavailable is None:
            return
        try:
            await self.on_unavailable(error)
        except Exception:
            log.exception("the job queue's fallback failed")

    async def _start(self) -> bool:
        """Put back dead workers' jobs and say this one runs; False if the database refused."""
        try:
            rescued = await self.queue.rescue(self.lease_s)
            if rescued:
                log.warning("rescued %d jobs from dead workers", rescued)
            await self._beat("running")
        except OperationalError as error:
            log.warning(
                "job queue unavailable at start, retrying in %.1f s: %s", BUSY_PAUSE_S, error
            )
            await self._unavailable(error)
            return False
        return True

    async def _turn(self, stop: asyncio.Event, now: float, next_beat: float) -> float:
        """Claim and start what can run, beat when due, wait for work; the next beat's time."""
        if self.periodic:
            await self._enqueue_periodic(now)
        claimed: list[Claimed] = []
        free = self.concurrency - len(self.running)
        if free <= 0:
            await self._flush()
        else:
            # Finished jobs are recorded in the claim's transaction: one commit a turn.
            done, self._done = self._done, []
            try:
                claimed = await self.queue.claim(self.queues, free, completed=done)
            except BaseException:
                self._done[:0] = done  # not recorded: keep them for the next try
                raise
            for job in claimed:
                task = asyncio.create_task(self._execute(job))
                self.running[job.id] = (job, task)
        if now >= next_beat:
            next_beat = now + HEARTBEAT_S
            await self._heartbeat()
        if claimed and len(claimed) == free:
            await asyncio.sleep(0)  # a full claim: there may be more at once
            return next_beat
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._either(stop), self.poll_s)
        return next_beat

    async def _either(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _execute(self, job: Claimed) -> None:
        ctx = JobContext(self.queue, job.id, job.attempt, self.queue.holder.pid, self.resources)
        try:
            result = await self._handler(job.kind)(ctx, job.payload)
            self._done.append((job, result))
        except JobCancelled:
            await self._record(job, self.queue.cancelled(job))
        except asyncio.CancelledError:
            raise  # shutdown: the job is released by _drain
        except Exception as error:
            detail = "".join(traceback.format_exception_only(error)).strip()
            state = await self._record(job, self.queue.fail(job, detail))
            log.warning("job %d (%s) failed -> %s: %s", job.id, job.kind, state, detail)
        finally:
            self.running.pop(job.id, None)
            self._wake.set()
            if not self.running:
                # What a job allocated is freed now, but glibc keeps it resident for the
                # next allocation; idle, the worker gives it back (edge.heap).
                give_back_free_memory()

    async def _record(self, job: Claimed, outcome: Coroutine[Any, Any, T]) -> T | None:
        """Record how a job ended; a database that refuses (a full disk) leaves the job
        running in the queue, where its lease runs out and ``rescue`` retries it later."""
        try:
            return await outcome
        except OperationalError as error:
            log.warning(
                "job %d (%s): its end cannot be recorded now, it is retried once its lease"
                " runs out: %s",
                job.id,
                job.kind,
                error,
            )
            return None

    def _handler(self, kind: str) -> Handler:
        """The handler of ``kind``, imported at its first job."""
        handler = self.handlers.get(kind)
        if handler is None:
            found = self.queue.registry.kinds.get(kind)
            if found is None:
                raise LookupError(f"no handler for job kind {kind!r} in this worker")
            handler = self.handlers[kind] = resolve_handler(found.handler)
        return handler

    async def _flush(self) -> None:
        """Record finished jobs, many in one transaction."""
        done, self._done = self._done, []
        if done:
            await self.queue.complete(done)

    async def _heartbeat(self) -> None:
        jobs = [job for job, _ in self.running.values()]
        for job_id in await self.queue.beat_all(jobs):
            log.info("job %d: cancel requested", job_id)
        await self._beat("running")
        await self.queue.rescue(self.lease_s)

    async def _enqueue_periodic(self, now: float) -> None:
        for spec in self.queue.registry.periodic.values():
            if now < self._next_periodic.get(spec.kind, 0.0):
                continue
            self._next_periodic[spec.kind] = now + spec.every_s
            await ensure_periodic(self.queue, spec)

    async def _drain(self) -> None:
        try:
            await self._beat("draining")
        except OperationalError as error:  # a full disk: stop all the same
            log.warning("cannot record the worker draining: %s", error)
        pending = [task for _, task in self.running.values()]
        stuck: list[Claimed] = []
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.grace_s)
            stuck = [job for job, task in self.running.values() if task in late]
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        try:
            if stuck:
                await self.queue.release(stuck)
                log.warning("released %d running jobs for retry at shutdown", len(stuck))
            await self._flush()
            await self._beat("stopped")
        except OperationalError as error:
            # Finished jobs not recorded run again after their lease: stopping on a full
            # disk must not make the worker fail (and systemd restart it in a loop).
            log.warning("cannot record the worker's last jobs and its stop: %s", error)

    async def _beat(self, status: str) -> None:
        holder = self.queue.holder
        values = {
            "host": holder.host,
            "pid": holder.pid,
            "queues": ",".join(self.queues),
            "concurrency": self.concurrency,
            "status": status,
            "running": len(self.running),
            "heartbeat_us": now_us(),
        }
        async with self.queue.transaction() as connection:
            found = await connection.execute(select(W.c.id).where(W.c.id == holder.key))
            if found.first() is None:
                await connection.execute(
                    insert(W).values(id=holder.key, started_us=now_us(), **values)
                )
            else:
                await connection.execute(update(W).where(W.c.id == holder.key).values(**values))


async def ensure_periodic(queue: JobQueue, spec: Periodic) -> None:
    """Enqueue a periodic job unless one is pending or running (a pending one gets the latest
    payload: latest wins)."""
    key = f"periodic:{spec.kind}"
    async with queue.transaction() as connection:
        found = await connection.execute(
            select(J.c.id, J.c.state).where(
                J.c.unique_key == key, J.c.state.in_([s.value for s in UNFINISHED])
            )
        )
        row = found.first()
        if row is not None:
            if row[1] != JobState.EXECUTING.value:
                await connection.execute(
                    update(J).where(J.c.id == row[0]).values(payload=json.dumps(spec.payload))
                )
            return
    await queue.enqueue(spec.kind, spec.payload, queue=spec.queue, unique_key=key)
