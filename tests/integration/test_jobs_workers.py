"""``chrono-edge worker`` processes on a real SQLite file and a real PostgreSQL server.

What a box's operator relies on: two workers share the queue without ever
running a job twice at the same time; a worker killed with ``kill -9`` loses
no job (the next worker rescues it at once, it completes exactly once);
SIGTERM lets short jobs finish and gives the others back for retry.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from edge.jobs.admin import JobAdmin, W
from edge.jobs.queue import LEASE_S, J, JobQueue
from edge.jobs.store import create_tables, engine_for
from edge.store import migrate
from edge.store.sqlite import BUSY_TIMEOUT_MS
from tests.jobkinds import with_box
from tests.servers import postgres_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
JOBS = 10_000
EXIT_TIMEOUT_S = 20.0


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
        await create_tables(jobs.engine)  # before the workers: they would race to create them
    yield jobs
    await jobs.close()


@contextmanager
def worker_process(
    target: Path | str, tmp_path: Path, name: str, *options: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``chrono-edge worker`` on the default queue with the test kinds; killed if still alive."""
    db = target if isinstance(target, Path) else tmp_path / "unused.db"
    command = [sys.executable, "-m", "edge.cli", "--db", str(db), "worker", "--queues", "default"]
    command += ["--kinds", "tests.jobkinds:registry", *options]
    if isinstance(target, str):
        command += ["--queue-url", target]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / f"{name}.log").open("wb")
    with log, subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then the exit code (the worker drains first)."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=EXIT_TIMEOUT_S)


def worker_logs(tmp_path: Path) -> str:
    """The end of every worker's log (for failure messages)."""
    return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in tmp_path.glob("*.log"))


async def poll(
    check: Callable[[], Awaitable[bool]], what: str, timeout_s: float, tmp_path: Path
) -> None:
    """Wait until ``check()`` holds; fail with the workers' logs after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s} s\n{worker_logs(tmp_path)}")
        await asyncio.sleep(0.05)


async def count(queue: JobQueue, *where: Any) -> int:
    async with queue.engine.connect() as connection:
        found = await connection.execute(select(func.count()).select_from(J).where(*where))
        return int(found.scalar_one())


async def job(queue: JobQueue, job_id: int) -> dict[str, Any]:
    return await JobAdmin(queue.engine).get(job_id)


def read_runs(folder: Path) -> dict[int, list[tuple[int, int, int]]]:
    """job id -> [(pid, start_ns, end_ns)] of every execution that ran to its end."""
    runs: dict[int, list[tuple[int, int, int]]] = {}
    for file in folder.glob("runs-*.txt"):
        for line in file.read_text(encoding="ascii").splitlines():
            job_id, pid, start, end = map(int, line.split())
            runs.setdefault(job_id, []).append((pid, start, end))
    return runs


async def test_two_workers_run_every_job_exactly_once_never_twice_at_a_time(
    queue: JobQueue, target: Path | str, tmp_path: Path
):
    folder = tmp_path / "runs"
    folder.mkdir()
    await JobAdmin(queue.engine).set_concurrency("default", 64)

    async def both_beating() -> bool:
        async with queue.engine.connect() as connection:
            found = await connection.execute(select(func.count()).where(W.c.status == "running"))
            return int(found.scalar_one()) == 2

    with (
        worker_process(target, tmp_path, "a", "--concurrency", "32") as a,
        worker_process(target, tmp_path, "b", "--concurrency", "32") as b,
    ):
        await poll(both_beating, "two workers up", 30, tmp_path)
        ids = await queue.enqueue_many("test.record", [{"folder": str(folder)}] * JOBS)

        async def all_done() -> bool:
            return await count(queue, J.c.kind == "test.record", J.c.state == "completed") == JOBS

        await poll(all_done, f"{JOBS} jobs completed", 60, tmp_path)
        assert (stop(a), stop(b)) == (0, 0)

    runs = read_runs(folder)
    assert sorted(runs) == ids  # every job ran...
    twice = {job_id: r for job_id, r in runs.items() if len(r) > 1}
    assert twice == {}  # ...exactly once (no worker died, so nothing was rescued)
    for job_id, executions in runs.items():  # and (the invariant) never two at once
        spans = sorted((start, end) for _, start, end in executions)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), job_id
    pids = {pid for executions in runs.values() for pid, _, _ in executions}
    assert pids == {a.pid, b.pid}  # both workers took their share
    assert await count(queue, J.c.kind == "test.record", J.c.attempt != 1) == 0


async def test_a_worker_killed_mid_job_is_rescued_at_once_and_the_job_completes_once(
    queue: JobQueue, target: Path | str, tmp_path: Path
):
    folder = tmp_path / "runs"
    folder.mkdir()
    payload = {"folder": str(folder), "sleep_s": 600, "sleep_attempt": 1}
    job_id = await queue.enqueue("test.record", payload)
    with worker_process(target, tmp_path, "killed") as first:

        async def held_by_first() -> bool:
            found = await job(queue, job_id)
            return bool(found["state"] == "executing" and found["holder_pid"] == first.pid)

        await poll(held_by_first, "job claimed by the first worker", 30, tmp_path)
        first.kill()  # SIGKILL: no drain, no release; the row still names the dead holder
        first.wait()
    assert (await job(queue, job_id))["state"] == "executing"

    began = time.monotonic()
    with worker_process(target, tmp_path, "rescuer") as second:

        async def completed() -> bool:
            return bool((await job(queue, job_id))["state"] == "completed")

        await poll(completed, "rescued job completed", LEASE_S / 2, tmp_path)
        elapsed = time.monotonic() - began
        assert stop(second) == 0

    assert elapsed < LEASE_S / 2  # at start-up (dead pid, same boot), not after the lease
    assert "rescued 1 jobs from dead workers" in (tmp_path / "rescuer.log").read_text()
    done = await job(queue, job_id)
    assert done["attempt"] == 2
    assert f"pid {first.pid} died" in done["errors"][0]["error"]
    runs = read_runs(folder)
    assert [pid for pid, _, _ in runs[job_id]] == [second.pid]  # the killed run never ended
    assert list(runs) == [job_id]


async def test_a_worker_killed_on_the_only_attempt_leaves_the_job_discarded_as_interrupted(
    queue: JobQueue, target: Path | str, tmp_path: Path
):
    folder = tmp_path / "runs"
    folder.mkdir()
    payload = {"folder": str(folder), "sleep_s": 600}
    job_id = await queue.enqueue("test.record", payload, max_attempts=1)
    with worker_process(target, tmp_path, "killed") as first:

        async def held_by_first() -> bool:
            found = await job(queue, job_id)
            return bool(found["state"] == "executing" and found["holder_pid"] == first.pid)

        await poll(held_by_first, "job claimed by the first worker", 30, tmp_path)
        first.kill()
        first.wait()

    with worker_process(target, tmp_path, "rescuer") as second:

        async def discarded() -> bool:
            return bool((await job(queue, job_id))["state"] == "discarded")

        await poll(discarded, "job rescued", LEASE_S / 2, tmp_path)
        assert stop(second) == 0

    found = await job(queue, job_id)
    assert (found["attempt"], found["max_attempts"], found["interrupted"]) == (1, 1, True)
    [error] = found["errors"]
    assert (error["attempt"], error["cause"]) == (1, "interrupted")
    assert f"pid {first.pid} died" in error["error"]
    [listed] = [j for j in await JobAdmin(queue.engine).list() if j["id"] == job_id]
    assert (listed["state"], listed["interrupted"]) == ("discarded", True)
    assert read_runs(folder) == {}  # no run ended: not the killed one, and no second one


async def test_sigterm_stops_claiming_lets_short_jobs_finish_and_releases_the_rest(
    queue: JobQueue, target: Path | str, tmp_path: Path
):
    short = await queue.enqueue("diagnostics.sleep", {"seconds": 2})
    long = await queue.enqueue("diagnostics.sleep", {"seconds": 600})
    grace_s = 4.0
    with worker_process(
        target, tmp_path, "drained", "--concurrency", "2", "--grace", str(grace_s)
    ) as process:

        async def both_running() -> bool:
            return await count(queue, J.c.id.in_([short, long]), J.c.state == "executing") == 2

        await poll(both_running, "both jobs running", 30, tmp_path)
        # No free slot now; one opens when the short job ends, after SIGTERM: a draining
        # worker must not fill it.
        waiting = await queue.enqueue("diagnostics.sleep", {"seconds": 0})
        began = time.monotonic()
        assert stop(process) == 0
        elapsed = time.monotonic() - began

    assert elapsed < grace_s + 10  # the long job did not hold the shutdown for 600 s
    assert (await job(queue, short))["state"] == "completed"
    released = await job(queue, long)
    assert (released["state"], released["attempt"], released["holder_pid"]) == (
        "available",
        0,
        None,
    )
    assert (await job(queue, waiting))["state"] == "available"
    async with queue.engine.connect() as connection:
        status = await connection.execute(select(W.c.status).where(W.c.pid == process.pid))
        assert status.scalar_one() == "stopped"


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)  # SQLite's write lock
async def test_a_worker_outlives_a_database_locked_past_its_busy_timeout(
    queue: JobQueue, target: Path | str, tmp_path: Path
):
    assert isinstance(target, Path)
    folder = tmp_path / "runs"
    folder.mkdir()
    with worker_process(target, tmp_path, "locked") as worker:

        async def beating() -> bool:
            async with queue.engine.connect() as connection:
                found = await connection.execute(
                    select(func.count()).where(W.c.status == "running")
                )
                return int(found.scalar_one()) == 1

        await poll(beating, "worker up", 30, tmp_path)
        # Another process holds the write lock longer than the busy timeout (5 s): what a
        # long write does on a loaded Pi. The worker's claim fails with "database is locked".
        blocker = sqlite3.connect(target, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        await asyncio.sleep(BUSY_TIMEOUT_MS / 1000 + 2)
        blocker.execute("ROLLBACK")
        blocker.close()
        assert worker.poll() is None, worker_logs(tmp_path)
        job_id = await queue.enqueue("test.record", {"folder": str(folder)})

        async def done() -> bool:
            return bool((await job(queue, job_id))["state"] == "completed")

        await poll(done, "job completed after the lock", 30, tmp_path)
        assert "job queue unavailable, retrying" in (tmp_path / "locked.log").read_text()
        assert stop(worker) == 0
