"""Batched queue operations (what makes one worker fast) keep the queue's guarantees.

On a real SQLite file and a real PostgreSQL server: many jobs enqueued in one
transaction; a worker's turn records its finished jobs and claims the next ones
in one transaction, yet a completion still counts only for the holder and the
attempt that claimed the job; a queue's concurrency limit holds across workers;
one unique key makes one job however many enqueue it at once; a periodic job
comes back but is never pending twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from edge.jobs.admin import JobAdmin
from edge.jobs.errors import UnknownKind
from edge.jobs.lease import Holder
from edge.jobs.models import UNFINISHED
from edge.jobs.queue import J, JobQueue
from edge.jobs.registry import JobRegistry, Periodic
from edge.jobs.store import create_tables, engine_for
from edge.jobs.worker import Worker
from edge.store import migrate
from tests.jobkinds import registry
from tests.servers import postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    if request.param == "sqlite":
        path = tmp_path / "edge.db"
        migrate.upgrade(path)
        yield path
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
async def queue(target: Path | str) -> AsyncIterator[JobQueue]:
    jobs = JobQueue(engine_for(target), registry)
    if isinstance(target, str):
        await create_tables(jobs.engine)
    yield jobs
    await jobs.close()


def other_worker(queue: JobQueue, pid: int) -> JobQueue:
    """The same queue seen by another (live-looking) worker process on this host."""
    return JobQueue(
        queue.engine, queue.registry, Holder(queue.holder.host, queue.holder.boot, pid, 1)
    )


async def test_enqueue_many_adds_every_job_in_order_of_priority_then_id(queue: JobQueue):
    ids = await queue.enqueue_many("test.noop", [{"n": n} for n in range(500)])
    assert ids == list(range(ids[0], ids[0] + 500))
    urgent = await queue.enqueue("test.noop", {"n": "urgent"}, priority=-1)
    claimed = await queue.claim(["default"], 3)
    assert [job.id for job in claimed] == sorted([urgent, ids[0], ids[1]])
    assert {job.payload["n"] for job in claimed} == {"urgent", 0, 1}
    assert await queue.enqueue_many("test.noop", []) == []
    with pytest.raises(UnknownKind):
        await queue.enqueue_many("no.such.kind", [{}])


async def test_a_turn_completes_what_ran_and_claims_more_in_one_transaction(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    await queue.enqueue_many("test.noop", [{}] * 6)
    first = await queue.claim(["default"], 3)
    second = await queue.claim(["default"], 3, completed=[(job, job.id * 10) for job in first])
    assert {job.id for job in second}.isdisjoint(job.id for job in first)
    for job in first:
        done = await admin.get(job.id)
        assert (done["state"], done["result"], done["progress"]) == ("completed", job.id * 10, 100)
    assert await queue.claim(["default"], 3, completed=[(job, None) for job in second]) == []
    assert (await admin.stats())["states"]["completed"] == 6


async def test_a_batch_completion_counts_only_jobs_still_held_by_that_attempt(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    await queue.enqueue_many("test.noop", [{}] * 3)
    kept, lost, stolen = await queue.claim(["default"], 3)
    # ``lost`` hung: rescued after its lease and run again by another worker;
    # ``stolen`` is rescued too, then claimed again by this same worker (a newer attempt).
    async with queue.transaction() as connection:
        await connection.execute(
            update(J).where(J.c.id.in_([lost.id, stolen.id])).values(heartbeat_mono_us=0)
        )
    assert await queue.rescue(lease_s=1) == 2
    other = other_worker(queue, 999_999)
    [again] = await other.claim(["default"], 1)
    [newer] = await queue.claim(["default"], 1)
    assert (again.id, newer.id) == (lost.id, stolen.id)
    done = await queue.complete([(kept, "a"), (lost, "stale"), (stolen, "stale")])
    assert done == 1  # the two old attempts are refused, in the same batch as a good one
    assert (await admin.get(lost.id))["state"] == "executing"
    assert await other.complete([(again, "b")]) == 1
    assert await queue.complete([(newer, "c")]) == 1
    results = {job: (await admin.get(job))["result"] for job in (kept.id, lost.id, stolen.id)}
    assert results == {kept.id: "a", lost.id: "b", stolen.id: "c"}


async def test_a_queue_concurrency_limit_holds_across_workers(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    await admin.set_concurrency("default", 4)
    await queue.enqueue_many("test.noop", [{}] * 10)
    mine = await queue.claim(["default"], 3)
    theirs = await other_worker(queue, 999_998).claim(["default"], 3)
    assert (len(mine), len(theirs)) == (3, 1)  # 4 running at most, whoever runs them
    assert await queue.claim(["default"], 3, completed=[(job, None) for job in mine]) != []
    await admin.set_paused("default", True)
    assert await queue.claim(["default"], 3) == []


async def test_concurrent_enqueues_of_one_unique_key_make_one_job(queue: JobQueue):
    # Many connections at once (several workers declaring the same periodic job): on
    # PostgreSQL, READ COMMITTED alone would let each see no job and insert its own.
    ids = await asyncio.gather(
        *(queue.enqueue("test.noop", {"n": n}, unique_key="periodic:x") for n in range(12))
    )
    assert len(set(ids)) == 1
    assert (await JobAdmin(queue.engine).stats())["states"]["available"] == 1


async def test_a_periodic_job_comes_back_but_is_never_pending_twice(queue: JobQueue):
    every = JobRegistry.of(registry.kinds.values(), [Periodic("test.noop", 0.05)])
    queue = JobQueue(queue.engine, every)
    key = J.c.unique_key == "periodic:test.noop"
    stop = asyncio.Event()
    worker = Worker(queue, ["default"], 2, poll_s=0.01)
    task = asyncio.create_task(worker.run(stop))
    deadline = time.monotonic() + 20
    try:
        while await count(queue, key, J.c.state == "completed") < 3:
            assert await count(queue, key, J.c.state.in_([s.value for s in UNFINISHED])) <= 1
            assert time.monotonic() < deadline, "the periodic job did not run three times"
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await task


async def count(queue: JobQueue, *where: Any) -> int:
    async with queue.engine.connect() as connection:
        found = await connection.execute(select(func.count()).select_from(J).where(*where))
        return int(found.scalar_one())
