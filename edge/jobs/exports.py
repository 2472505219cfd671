"""Job kinds that make export files: result sheets and certificates (declared in box.py).

Every file is made in a child process (``edge.jobs.child``): the race it computed,
openpyxl, fpdf2 and what they made would otherwise stay in the worker for the rest
of the event. Measured on a 20,000-finisher race (the worker at rest: 75.6 MB): a
CSV left it at 97.4 MB, an XLSX then a PDF at 163.6 MB; made in a child, 75.5-76.2 MB
after each. The price is the child's start: a CSV job took 4 s instead of 2 here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from edge.jobs.child import ChildContext, run_in_child
from edge.jobs.context import JobContext
from edge.paths import BoxPaths
from edge.services.exports import ExportRequest, ExportService, public_results_url
from edge.settings import get_settings
from edge.store.database import Database


async def _export(ctx: ChildContext, payload: dict[str, Any]) -> dict[str, Any]:
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
    made: dict[str, Any] = await run_in_child(ctx, "edge.jobs.exports:make_export", payload)
    return made


async def export_certificates(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Write one PDF with a certificate page per finisher of a race."""
    certificates = {**payload, "kind": "certificates", "format": "pdf"}
    made: dict[str, Any] = await run_in_child(ctx, "edge.jobs.exports:make_export", certificates)
    return made


async def make_export(ctx: ChildContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Make the export file of ``payload`` (in the job's child process)."""
    return await _export(ctx, payload)
