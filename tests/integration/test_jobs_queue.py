"""Job queue semantics in-process, on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from edge.jobs.admin import JobAdmin
from edge.jobs.errors import JobStateConflict, UnknownKind
from edge.jobs.lease import Holder
from edge.jobs.queue import J, JobQueue
from edge.jobs.registry import Periodic
from edge.jobs.store import create_tables, engine_for
from edge.jobs.worker import Worker, ensure_periodic
from edge.store import migrate
from tests.jobkinds import with_box
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
    jobs = JobQueue(engine_for(target), with_box())
    if isinstance(target, str):
        await create_tables(jobs.engine)
    yield jobs
    await jobs.close()


async def wait_state(admin: JobAdmin, job_id: int, state: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (await admin.get(job_id))["state"] != state:
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} never reached {state}: {await admin.get(job_id)}")
        await asyncio.sleep(0.02)


async def run_worker(queue: JobQueue, stop: asyncio.Event, **options: object) -> asyncio.Task[None]:
    worker = Worker(queue, ["default", "maintenance"], 4, poll_s=0.02, periodic=False, **options)  # type: ignore[arg-type]
    return asyncio.create_task(worker.run(stop))


async def test_a_failing_job_is_retried_with_backoff_then_discarded_with_its_errors(
    queue: JobQueue, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("edge.jobs.queue.BACKOFF_BASE_S", 0.2)
    # Without jitter (tests/unit/test_jobs_lease.py covers it): with it, the first wait may
    # be 1.25 x base and the second 0.75 x 2 x base, and the worker's poll adds its own delay.
    monkeypatch.setattr("edge.jobs.queue.random", SimpleNamespace(uniform=lambda a, b: 1.0))
    admin = JobAdmin(queue.engine)
    job_id = await queue.enqueue("test.fail", {})
    stop = asyncio.Event()
    task = await run_worker(queue, stop)
    await wait_state(admin, job_id, "discarded")
    stop.set()
    await task
    job = await admin.get(job_id)
    assert job["attempt"] == 3
    assert [e["attempt"] for e in job["errors"]] == [1, 2, 3]
    assert "boom on attempt 2" in job["errors"][1]["error"]
    assert [e["cause"] for e in job["errors"]] == ["raised"] * 3
    assert job["interrupted"] is False  # it raised: no worker crashed
    gaps = [b["at_us"] - a["at_us"] for a, b in zip(job["errors"], job["errors"][1:], strict=False)]
    # Exponential: no retry before its wait (0.2 s, then 0.4 s). A ratio of the two gaps
    # failed on a loaded machine, where the poll's delay (added to both) dominates.
    assert gaps[0] >= 200_000
    assert gaps[1] >= 400_000
    await admin.retry(job_id)  # an operator gives it one more go
    assert (await admin.get(job_id))["state"] == "available"
    assert (await admin.get(job_id))["max_attempts"] == 4


async def test_a_failed_job_waiting_for_its_backoff_is_retried_now_by_the_operator(
    queue: JobQueue,
):
    admin = JobAdmin(queue.engine)
    job_id = await queue.enqueue("test.fail", {})
    [claimed] = await queue.claim(["default"], 1)
    with pytest.raises(JobStateConflict, match=f"job {job_id} is executing: it will run anyway"):
        await admin.retry(job_id)
    assert await queue.fail(claimed, "RuntimeError: boom") == "retryable"
    assert await queue.claim(["default"], 1) == []  # it waits for its backoff...
    await admin.retry(job_id)
    retried = await admin.get(job_id)
    assert (retried["state"], retried["attempt"], retried["max_attempts"]) == ("available", 1, 3)
    [again] = await queue.claim(["default"], 1)  # ...unless the operator says now
    assert (again.id, again.attempt) == (job_id, 2)


async def test_cancel_pending_at_once_and_running_cooperatively(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    waiting = await queue.enqueue("diagnostics.sleep", {"seconds": 1}, delay_s=3600)
    assert await admin.cancel(waiting) == "cancelled"
    with pytest.raises(JobStateConflict):
        await admin.cancel(waiting)
    running = await queue.enqueue("diagnostics.sleep", {"seconds": 30})
    stop = asyncio.Event()
    task = await run_worker(queue, stop)
    await wait_state(admin, running, "executing")
    began = time.monotonic()
    assert await admin.cancel(running) == "cancelling"
    await wait_state(admin, running, "cancelled")
    assert time.monotonic() - began < 2  # seen at its next progress call, not after 30 s
    stop.set()
    await task
    logs = await admin.logs(running)
    assert logs[0]["message"] == "sleeping 30 s"


async def child_of(admin: JobAdmin, job_id: int, timeout_s: float = 10.0) -> int:
    """The pid of the child process of job ``job_id``, from its first log line."""
    deadline = time.monotonic() + timeout_s
    while not (logs := await admin.logs(job_id)):
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} logged nothing: {await admin.get(job_id)}")
        await asyncio.sleep(0.02)
    return int(logs[0]["message"].split()[1])


async def test_a_job_run_in_a_child_process_completes_or_is_cancelled_with_its_child(
    queue: JobQueue,
):
    admin = JobAdmin(queue.engine)
    quick = await queue.enqueue("test.child_sleep", {"seconds": 0.3})
    long = await queue.enqueue("test.child_sleep", {"seconds": 60})
    stop = asyncio.Event()
    task = await run_worker(queue, stop)
    await wait_state(admin, quick, "completed")
    child = (await admin.get(quick))["result"]  # the child's result is the job's
    assert child != os.getpid()
    assert (await admin.logs(quick))[0]["message"] == f"child {child} sleeping"  # relayed
    await wait_state(admin, long, "executing")
    child = await child_of(admin, long)
    assert await admin.cancel(long) == "cancelling"
    await wait_state(admin, long, "cancelled")  # seen at the child's next progress report
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # the child was killed (and reaped) with its job
    stop.set()
    await task


async def test_paused_queue_runs_nothing_until_resumed(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    await admin.set_paused("default", True)
    job_id = await queue.enqueue("diagnostics.sleep", {"seconds": 0})
    stop = asyncio.Event()
    task = await run_worker(queue, stop)
    await asyncio.sleep(0.3)
    assert (await admin.get(job_id))["state"] == "available"
    assert (await admin.stats())["queues"]["default"]["paused"] is True
    await admin.set_paused("default", False)
    await wait_state(admin, job_id, "completed")
    stop.set()
    await task


async def test_unique_and_periodic_jobs_are_not_enqueued_twice(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    first = await queue.enqueue("diagnostics.sleep", {"seconds": 0}, unique_key="export:10K")
    again = await queue.enqueue("diagnostics.sleep", {"seconds": 5}, unique_key="export:10K")
    assert again == first
    spec = Periodic("diagnostics.sleep", 1.0, {"seconds": 0.1})
    await ensure_periodic(queue, spec)
    await ensure_periodic(queue, Periodic("diagnostics.sleep", 1.0, {"seconds": 0.2}))
    pending = [j for j in await admin.list() if j["id"] != first]
    assert len(pending) == 1  # still pending: not enqueued twice...
    assert (await admin.get(pending[0]["id"]))["payload"] == {"seconds": 0.2}  # ...latest wins
    with pytest.raises(UnknownKind):
        await queue.enqueue("no.such.kind")


async def test_completion_by_a_worker_presumed_dead_is_refused(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    job_id = await queue.enqueue("test.noop", {})
    [old] = await queue.claim(["default"], 1)
    # The worker hangs: its heartbeat stops; another worker rescues and re-runs the job.
    async with queue.transaction() as connection:
        await connection.execute(
            update(J).where(J.c.id == job_id).values(heartbeat_mono_us=0, heartbeat_us=0)
        )
    assert await queue.rescue(lease_s=1) == 1
    other = JobQueue(
        queue.engine, queue.registry, Holder(queue.holder.host, queue.holder.boot, 999_999, 1)
    )
    [new] = await other.claim(["default"], 1)
    assert new.attempt == old.attempt + 1
    assert await queue.complete([(old, "stale")]) == 0  # the presumed-dead worker wakes up
    assert await other.complete([(new, "fresh")]) == 1
    job = await admin.get(job_id)
    assert (job["state"], job["result"]) == ("completed", "fresh")
    assert "stopped beating" in job["errors"][0]["error"]
    assert job["errors"][0]["cause"] == "interrupted"  # cut off, not an error of its own
    assert job["interrupted"] is False  # its latest attempt completed


async def test_stats_report_states_queues_and_the_worker(queue: JobQueue):
    admin = JobAdmin(queue.engine)
    for _ in range(3):
        await queue.enqueue("diagnostics.sleep", {"seconds": 0})
    stats = await admin.stats()
    assert stats["states"]["available"] == 3
    assert stats["worker"]["running"] is False
    stop = asyncio.Event()
    task = await run_worker(queue, stop)
    deadline = time.monotonic() + 10
    while (await admin.stats())["states"]["completed"] < 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert (await admin.stats())["worker"]["running"] is True
    stop.set()
    await task
    assert await admin.prune(older_than_s=0) == 3
