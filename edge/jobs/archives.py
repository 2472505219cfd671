"""The job kind that archives an event (declared in box.py): build, upload, confirm.

A durable job: a worker killed mid-way leaves the job to be claimed again, and the
run resumes from the archive's row (a built file is not built again, an upload
resumes where central's copy stands). Failures are retried with the queue's backoff.
"""

from __future__ import annotations

from typing import Any

from edge.jobs.catalog import box_paths
from edge.jobs.context import JobContext
from edge.services.archives import ArchiveService
from edge.settings import get_settings
from edge.store.database import Database


async def archive_event(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Seal an event's archive with the fleet key, upload it, and have central confirm it."""
    paths = box_paths(ctx)
    database = Database(paths.database)
    archives = ArchiveService(database, paths, get_settings().backup_recipient)
    try:

        async def step(percent: int, stage: str) -> None:
            await ctx.progress(percent, stage)
            await ctx.log(stage)

        view = await archives.run(str(payload["archive"]), step)
    finally:
        await database.close()
    await ctx.progress(100, "confirmed by central")
    await ctx.log(f"archive {view.id} of {view.event}: {view.size} bytes, sha256 {view.sha256}")
    return {"archive": view.id, "event": view.event, "bytes": view.size, "sha256": view.sha256}
