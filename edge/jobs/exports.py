"""Job kinds that make export files: result sheets and certificates (declared in box.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from edge.jobs.context import JobContext
from edge.paths import BoxPaths
from edge.services.exports import ExportRequest, ExportService, public_results_url
from edge.settings import get_settings
from edge.store.database import Database


async def _export(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    paths = ctx.resources.get("paths")
    if not isinstance(paths, BoxPaths):  # a worker started without the box's paths
        paths = get_settings().paths
    request = ExportRequest.from_payload(payload)
    database = Database(paths.database)
    folder = paths.exports_folder
    await ctx.log(f"{request.kind} of {request.event} {request.race} as {request.format}")
    try:
        public = public_results_url(get_settings().public_results_url, paths.role_file)
        made = await ExportService(database, folder, public).produce(request, ctx.progress)
    finally:
        await database.close()
    await ctx.progress(100, "done")
    await ctx.log(f"wrote {made.name} ({made.size} bytes)")
    return {"file": made.name, **{k: v for k, v in asdict(made).items() if k != "name"}}


async def export_results(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Write a race's results (scratch, category or teams) as CSV, Excel or PDF."""
    return await _export(ctx, payload)


async def export_certificates(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Write one PDF with a certificate page per finisher of a race."""
    return await _export(ctx, {**payload, "kind": "certificates", "format": "pdf"})
