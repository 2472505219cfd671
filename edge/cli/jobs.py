"""``chrono-edge worker`` and ``chrono-edge jobs ...``: background jobs of the box."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from edge.cli.base import box_settings, database_path, role_file_option
from edge.domain.clock import from_us
from edge.errors import InvalidInput, Problem
from edge.jobs.box import box_registry
from edge.jobs.registry import JobRegistry, load_registry
from edge.store import migrate

T = TypeVar("T")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
INTERRUPTED = "interrupted by a crash"
"""How ``jobs show`` names an attempt cut off because its worker died or hung."""


def kinds_option(function: click.decorators.FC) -> click.decorators.FC:
    """The ``--kinds`` option: more job kinds than the box's (tests, benchmarks)."""
    option = click.option(
        "--kinds",
        "kinds",
        multiple=True,
        metavar="MODULE:NAME",
        help="Also know the job kinds of this JobRegistry (or function returning one); repeatable.",
    )
    return option(function)


def job_registry(ctx: click.Context, kinds: tuple[str, ...] = ()) -> JobRegistry:
    """The box's job registry, with the kinds of the ``--kinds`` registries added."""
    registry = box_registry(box_settings(ctx))
    for target in kinds:
        try:
            registry = registry.including(load_registry(target))
        except (ImportError, AttributeError, TypeError, ValueError) as error:
            raise InvalidInput([Problem("kinds", str(error))], f"--kinds {target}") from error
    return registry


def _with_queue(
    ctx: click.Context,
    work: Callable[[Any], Awaitable[T]],
    url: str | None = None,
    registry: JobRegistry | None = None,
    *,
    service: bool = False,
) -> T:
    from edge.jobs.queue import JobQueue
    from edge.jobs.store import create_tables, engine_for

    registry = registry or ctx.find_object(JobRegistry) or job_registry(ctx)
    if url is None:
        path = database_path(ctx)
        if service:  # the worker starts on a full disk too, and waits for room
            migrate.upgrade_unless_full(path)
        else:
            migrate.upgrade(path)

    async def _main() -> T:
        queue = JobQueue(engine_for(url or path), registry)
        if url is not None:
            await create_tables(queue.engine)
        try:
            return await work(queue)
        finally:
            await queue.close()

    return asyncio.run(_main())


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, help="Jobs at once.")
@click.option("--queues", default=None, help="Comma-separated queues (default: every queue).")
@click.option("--grace", "grace_s", type=float, default=10.0, help="Seconds to drain at SIGTERM.")
@kinds_option
@click.option("--queue-url", default=None, help="Run on this database URL instead of --db.")
@role_file_option
@click.pass_context
def worker(
    ctx: click.Context,
    concurrency: int,
    queues: str | None,
    grace_s: float,
    kinds: tuple[str, ...],
    queue_url: str | None,
    role_file: Path | None,
) -> None:
    """Run background jobs until SIGTERM (running jobs get the grace period, then are released)."""
    # httpx (the sync jobs' client) imports its own command-line client with it, and so
    # rich and pygments (~4 MB resident), unless that module cannot be imported: it falls
    # back to a stub then. The worker never runs httpx's command line.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from edge.heap import WORKER_ARENAS, limit_arenas
    from edge.jobs.catalog import follow_role
    from edge.jobs.fulldisk import FullDiskReport
    from edge.jobs.worker import Worker

    limit_arenas(WORKER_ARENAS)  # before any thread starts: edge.heap says why
    settings = box_settings(ctx)
    registry = job_registry(ctx, kinds)
    paths = settings.paths
    if role_file is not None:
        paths = dataclasses.replace(paths, role_file=role_file)
    resources = {"paths": paths}  # every job finds the box's files here (edge.paths)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    async def run(queue: Any) -> None:
        names = [q.strip() for q in queues.split(",")] if queues else None
        names = names or queue.registry.queues()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        click.echo(f"worker {queue.holder.key}: queues {','.join(names)}, {concurrency} at once")
        # A role change made on /setup runs the role's jobs at once, not at their next period.
        follower = asyncio.create_task(follow_role(queue, paths.role_file, stop))
        try:
            # On a full disk no job runs: the alarms reach central all the same.
            report = FullDiskReport(settings, paths, settings.sync_every_s)
            working = Worker(
                queue,
                names,
                concurrency,
                grace_s=grace_s,
                resources=resources,
                on_unavailable=report,
            )
            await working.run(stop)
        finally:
            stop.set()
            await follower

    _with_queue(ctx, run, queue_url, registry, service=True)


@click.group()
@kinds_option
@click.pass_context
def jobs(ctx: click.Context, kinds: tuple[str, ...]) -> None:
    """Look at and steer background jobs."""
    ctx.obj = job_registry(ctx, kinds)  # the subcommands' (edge.cli.base reads the root's)


@jobs.command("enqueue")
@click.argument("kind")
@click.option("--payload", default="{}", help="JSON object given to the job.")
@click.option("--queue", default=None, help="Queue (default: the kind's).")
@click.option("--repeat", type=click.IntRange(1, 1_000_000), default=1, help="How many copies.")
@click.option("--priority", type=int, default=0, help="Lower runs first.")
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=None,
    help="Runs before the job is discarded (default: the kind's).",
)
@click.pass_context
def jobs_enqueue(
    ctx: click.Context,
    kind: str,
    payload: str,
    queue: str | None,
    repeat: int,
    priority: int,
    max_attempts: int | None,
) -> None:
    """Add a job (or several) of KIND."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as error:
        raise InvalidInput([Problem("payload", str(error))], "--payload is not JSON") from error
    if not isinstance(data, dict):
        raise InvalidInput([Problem("payload", "must be a JSON object")], "--payload")

    options = {"queue": queue, "priority": priority, "max_attempts": max_attempts}

    async def add(q: Any) -> list[int]:
        if repeat == 1:
            return [await q.enqueue(kind, data, **options)]
        # One transaction for all the copies (one fsync, not one per job).
        return list(await q.enqueue_many(kind, [data] * repeat, **options))

    ids = _with_queue(ctx, add)
    click.echo(f"enqueued {len(ids)} job(s): {ids[0]}" + (f"..{ids[-1]}" if len(ids) > 1 else ""))


@jobs.command("list")
@click.option("--state", default=None, help="Only jobs in this state.")
@click.option("--limit", type=int, default=50)
@click.pass_context
def jobs_list(ctx: click.Context, state: str | None, limit: int) -> None:
    """Jobs, newest first."""
    from edge.jobs.admin import JobAdmin

    async def look(q: Any) -> list[dict[str, Any]]:
        return await JobAdmin(q.engine).list(state, limit)  # an unknown state: UnknownState

    for job in _with_queue(ctx, look):
        click.echo(
            f"{job['id']:>7}  {job['state']:<10} {job['kind']:<22} {job['queue']:<12}"
            f" attempt {job['attempt']}/{job['max_attempts']}  {job['progress']:>3}% {job['stage']}"
        )


@jobs.command("show")
@click.argument("job_id", type=int)
@click.pass_context
def jobs_show(ctx: click.Context, job_id: int) -> None:
    """One job, its errors and its log (an attempt cut off by a crash is said to be)."""
    from edge.jobs.admin import JobAdmin
    from edge.jobs.models import Cause

    async def look(q: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        admin = JobAdmin(q.engine)
        return await admin.get(job_id), await admin.logs(job_id)

    job, lines = _with_queue(ctx, look)
    for key in ("id", "kind", "queue", "state", "attempt", "max_attempts", "progress", "stage",
                "payload", "result"):  # fmt: skip
        note = f" ({INTERRUPTED})" if key == "state" and job["interrupted"] else ""
        click.echo(f"{key}: {job[key]}{note}")
    for error in job["errors"]:
        how = f", {INTERRUPTED}" if error.get("cause") == Cause.INTERRUPTED else ""
        click.echo(f"error (attempt {error['attempt']}{how}): {error['error']}")
    for line in lines:
        click.echo(
            f"{from_us(line['at_us']).isoformat(timespec='seconds')} {line['level']}: "
            f"{line['message']}"
        )


def _admin_action(name: str, doc: str, action: Callable[[Any, Any], Awaitable[Any]]) -> None:
    @jobs.command(name, help=doc)
    @click.argument("target")
    @click.pass_context
    def command(ctx: click.Context, target: str) -> None:
        from edge.jobs.admin import JobAdmin

        outcome = _with_queue(ctx, lambda q: action(JobAdmin(q.engine), target))
        click.echo(f"{name} {target}: {outcome or 'done'}")


_admin_action("retry", "Run a finished job again.", lambda a, t: a.retry(int(t)))
_admin_action(
    "cancel",
    "Cancel a job (a running one stops at its next heartbeat).",
    lambda a, t: a.cancel(int(t)),
)
_admin_action("pause", "Pause a queue.", lambda a, t: a.set_paused(t, True))
_admin_action("resume", "Resume a paused queue.", lambda a, t: a.set_paused(t, False))


@jobs.command("stats")
@click.option("--json", "as_json", is_flag=True, help="JSON: states, queues, worker.")
@click.pass_context
def jobs_stats(ctx: click.Context, as_json: bool) -> None:
    """Counts per state and per queue, and whether a worker is running."""
    from edge.jobs.admin import JobAdmin

    stats = _with_queue(ctx, lambda q: JobAdmin(q.engine).stats())
    if as_json:
        click.echo(json.dumps(stats))
        return
    click.echo("  ".join(f"{state}={count}" for state, count in stats["states"].items()))
    for name, queue in stats["queues"].items():
        paused = " (paused)" if queue["paused"] else ""
        click.echo(f"queue {name}{paused}: {queue['states']}")
    worker_state = stats["worker"]
    click.echo("worker: running" if worker_state["running"] else "worker not running")
