"""The box's own background jobs: forwarding, sync to central, backups, results cache.

Each kind reads reader.json when it runs, so a role change made on /setup
takes effect at the next run; a kind that does not apply to the box's role
returns ``{"skipped": why}``. Periods come from the settings.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import select as select_rows

from edge.backup.snapshot import take_snapshot
from edge.backup.upload import upload_snapshot
from edge.domain import Event
from edge.jobs import builtin  # noqa: F401  (diagnostics.sleep, jobs.prune)
from edge.jobs.context import JobContext
from edge.jobs.models import JobState
from edge.jobs.queue import J
from edge.jobs.registry import job_kind, periodic
from edge.roleconfig import Role, RoleConfig, load_role
from edge.services.readers import ReaderHealthService
from edge.services.results_cache import ResultsCache
from edge.settings import Settings, get_settings
from edge.store.database import Database
from edge.sync.forwarder import Forwarder


def _paths(ctx: JobContext) -> tuple[Path, RoleConfig, Settings]:
    settings = get_settings()
    db_path = Path(ctx.resources.get("db_path", settings.db))
    role = load_role(Path(ctx.resources.get("role_file", settings.role_file)))
    return db_path, role, settings


@job_kind("sync.forward", queue="sync", max_attempts=5)
async def forward_to_master(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """SLAVE: push the outbox to the MASTER (a failure is retried with backoff)."""
    db_path, role, _ = _paths(ctx)
    if role.role is not Role.SLAVE:
        return {"skipped": "not a SLAVE"}
    async with Forwarder.from_role(role, "master", db_path) as forwarder:
        return {"acked": await forwarder.push_once()}


@job_kind("sync.central", queue="sync", max_attempts=5)
async def push_to_central(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Enrolled box: report its state to central, then push the outbox."""
    db_path, role, _ = _paths(ctx)
    if role.central is None:
        return {"skipped": "not enrolled with central"}
    async with Forwarder.from_role(role, "central", db_path) as forwarder:
        await _report_status(ctx, db_path, role, forwarder)
        return {"acked": await forwarder.push_once()}


async def _report_status(
    ctx: JobContext, db_path: Path, role: RoleConfig, forwarder: Forwarder
) -> None:
    assert role.central is not None
    lag = await asyncio.to_thread(forwarder.outbox.lag)
    database = Database(db_path)
    event: dict[str, str] | None = None
    try:
        readers = await ReaderHealthService(database).list_readers()
        if role.event:
            async with database.read() as session:
                found = await session.exec(select_rows(Event).where(Event.slug == role.event))
                row = found.first()
            if row is not None:
                event = {
                    "slug": row.slug,
                    "name": row.name,
                    "date": row.date.isoformat(),
                    "timezone": row.timezone,
                }
    finally:
        await database.close()
    async with ctx.queue.engine.connect() as connection:
        backed_up = await connection.execute(
            select(func.max(J.c.finished_us)).where(
                J.c.kind == "backup.upload", J.c.state == JobState.COMPLETED.value
            )
        )
        last_backup = backed_up.scalar()
    disk = shutil.disk_usage(db_path.parent)
    status = {
        "role": role.role.value,
        "readers": [{"reader": r.reader, "connected": r.usable} for r in readers],
        "pending_changes": lag.pending,
        "oldest_pending_age_s": lag.oldest_pending_age_s,
        "disk_free_pct": 100.0 * disk.free / disk.total,
        "last_backup_us": last_backup,
        "event": event,
    }
    headers = {"Authorization": f"Bearer {role.central.device_token}"}
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            await client.post(
                f"{role.central.url}/api/v1/devices/status", json=status, headers=headers
            )
        except httpx.HTTPError as error:  # the push below reports the outage
            await ctx.log(f"status report failed: {error}", "warning")


@job_kind("backup.upload", queue="backup", max_attempts=5)
async def upload_backup(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Enrolled box: snapshot the database and upload it (an interrupted upload resumes)."""
    db_path, role, _ = _paths(ctx)
    if role.central is None:
        return {"skipped": "not enrolled with central"}
    await ctx.progress(5, "snapshot")
    snapshot = await asyncio.to_thread(take_snapshot, db_path, db_path.parent / "backups")
    await ctx.progress(40, "upload")
    try:
        result = await asyncio.to_thread(upload_snapshot, snapshot, role.central)
    finally:
        snapshot.path.unlink(missing_ok=True)
    await ctx.log(f"backup {result.backup_id}: {result.size} bytes up to change {snapshot.seq}")
    return {"backup_id": result.backup_id, "bytes": result.size, "seq": snapshot.seq}


@job_kind("results.cache", queue="results", max_attempts=3)
async def refresh_results(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """MASTER: rewrite the live-results documents of the races whose results changed."""
    db_path, role, settings = _paths(ctx)
    if role.role is not Role.MASTER:
        return {"skipped": "not the MASTER"}
    folder = Path(ctx.resources.get("cache_folder", settings.cache_folder)) / "results"
    database = Database(db_path)
    try:
        changed = await ResultsCache(database, folder).refresh(role.event)
    finally:
        await database.close()
    return {"changed": [f"{c.event}/{c.race}" for c in changed]}


def declare_periodic(settings: Settings) -> None:
    """The periodic jobs, at the periods the settings give."""
    periodic("sync.forward", settings.sync_every_s)
    periodic("sync.central", settings.sync_every_s)
    periodic("results.cache", settings.results_cache_every_s)
    periodic("backup.upload", settings.backup_every_s)
