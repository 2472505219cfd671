"""The worker's job that keeps chrony's event-LAN source in step with the box's role."""

from __future__ import annotations

import asyncio
from typing import Any

from edge.clocks.errors import ClockError
from edge.clocks.eventlan import apply_event_lan
from edge.jobs.catalog import box_paths, discovered_master
from edge.jobs.context import JobContext
from edge.roleconfig import Role, load_role
from edge.settings import get_settings


async def apply_clock_role(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """SLAVE: chrony follows the MASTER; other roles: no event-LAN source (edge.clocks.eventlan)."""
    settings = get_settings()
    folder = settings.chrony_sources_dir
    if folder is None:
        return {"skipped": "CHRONO_EDGE_CHRONY_SOURCES_DIR is not set: chrony is left alone"}
    role = await asyncio.to_thread(load_role, box_paths(ctx).role_file)
    if role.role is Role.SLAVE and not role.master_url:
        # Found on the LAN by the forward job: the same MASTER gives the time.
        role = role.model_copy(update={"master_url": discovered_master(role.event)})
    try:
        applied = await asyncio.to_thread(
            apply_event_lan, role, folder, socket=settings.chrony_socket
        )
    except ClockError as error:
        await ctx.log(str(error), "error")
        raise
    if applied.changed:
        said = applied.sources.splitlines()[-1] if applied.sources else "no event-LAN source"
        await ctx.log(f"chrony now follows: {said}")
    return {"changed": applied.changed, "sources": applied.sources}
