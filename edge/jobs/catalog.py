"""The box's own background jobs: forwarding, sync to central, backups, tunnel, results cache,
and the pruning of expired login sessions.

Each kind reads reader.json when it runs and does what the box's role asks:
``sync.forward`` on a SLAVE, ``sync.central``'s push and ``results.cache`` on
the MASTER; a kind that does not apply returns ``{"skipped": why}`` (an
UNCONFIGURED box skips them all but its status report). ``follow_role`` runs
them at once when reader.json changes, so a switch takes effect within the
file's polling period rather than at the next run. Their queues and periods are
declared in ``edge.jobs.box``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import select as select_rows

from edge.alarms.service import alarm_json, current_alarms
from edge.auth.session_files import SessionFolder
from edge.backup.snapshot import backups_held, take_snapshot
from edge.backup.upload import upload_snapshot
from edge.clocks.alarms import clock_alarms
from edge.domain import Event
from edge.errors import InvalidInput
from edge.heap import give_back_free_memory
from edge.jobs.context import JobContext
from edge.jobs.models import JobState
from edge.jobs.queue import J, JobQueue
from edge.jobs.worker import ensure_periodic
from edge.paths import BoxPaths
from edge.roleconfig import Role, RoleConfig, load_role, watch_role
from edge.services.clocks import ClockService
from edge.services.readers import ReaderHealthService
from edge.services.results_keeper import kept_by_web
from edge.settings import get_settings
from edge.store.database import Database
from edge.sync.errors import SyncNotConfigured
from edge.sync.forwarder import Forwarder
from edge.vpn import tunnel
from edge.vpn.errors import VpnError
from edge.vpn.route import sync_url

log = logging.getLogger(__name__)

ROLE_JOBS = ("sync.forward", "sync.central", "results.cache", "clock.event_lan")
"""Periodic kinds whose work depends on the role: run at once when it changes."""
ROLE_CHECK_S = 0.25
"""How often a running forward job checks that the box is still a SLAVE."""
DISCOVERY_S = 2.0
"""How long a SLAVE without master_url listens for its MASTER's mDNS announcement."""
_LOADED_S = time.monotonic()
"""When the worker loaded its jobs (at its first job, right after it started)."""
_discovered: dict[str, str] = {}  # event slug -> MASTER URL found by mDNS (this process)


def box_paths(ctx: JobContext) -> BoxPaths:
    """The files of the box the worker runs for (its ``paths`` resource)."""
    paths = ctx.resources.get("paths")
    return paths if isinstance(paths, BoxPaths) else get_settings().paths


def _paths(ctx: JobContext) -> tuple[Path, RoleConfig, BoxPaths]:
    paths = box_paths(ctx)
    return paths.database, load_role(paths.role_file), paths


async def forward_to_master(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """SLAVE: push the outbox to the MASTER (a failure is retried with backoff)."""
    db_path, role, paths = _paths(ctx)
    if role.role is not Role.SLAVE:
        return {"skipped": "not a SLAVE"}
    role_file = paths.role_file
    if not role.master_url:
        role = role.model_copy(update={"master_url": await _find_master(role)})
    try:
        every_s = get_settings().clock_probe_every_s
        forwarding = Forwarder.from_role(role, "master", db_path, clock_every_s=every_s)
        async with forwarding as forwarder:
            pushing = asyncio.create_task(forwarder.push_once())
            leaving = asyncio.create_task(_until_no_longer(role_file, role))
            try:
                await asyncio.wait({pushing, leaving}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                leaving.cancel()
            if not pushing.done():
                # The box stopped being this MASTER's SLAVE: stop now. A batch cut short is
                # unacknowledged here, so it is resent (and acknowledged as a replay) if this
                # box forwards again; a change is never applied twice (edge.sync.apply).
                pushing.cancel()
                with suppress(asyncio.CancelledError):
                    await pushing
                return {"stopped": "the role changed", "master": forwarder.url}
            return {"acked": pushing.result(), "master": forwarder.url}
    except Exception:
        _discovered.pop(role.event or "", None)  # the MASTER may have moved: look again
        raise


async def _until_no_longer(role_file: Path, role: RoleConfig) -> None:
    """Return once reader.json no longer makes this box a SLAVE forwarding where ``role`` does."""
    while True:
        await asyncio.sleep(ROLE_CHECK_S)
        try:
            now = await asyncio.to_thread(load_role, role_file)
        except InvalidInput:
            continue  # a file being fixed by hand: the last valid role stays in force
        if now.role is not Role.SLAVE or (now.master_url or role.master_url) != role.master_url:
            return


def discovered_master(event: str | None) -> str | None:
    """The URL of the event's MASTER this worker found by mDNS, if any (none typed)."""
    return _discovered.get(event or "")


async def _find_master(role: RoleConfig) -> str:
    """The URL of this event's MASTER announced on the LAN (remembered until a push fails)."""
    from edge.fleet.discovery import discover_masters  # zeroconf only where it is used

    slug = role.event or ""
    if slug in _discovered:
        return _discovered[slug]
    masters = await asyncio.to_thread(discover_masters, DISCOVERY_S, role.event)
    if not masters:
        raise SyncNotConfigured(
            f"no MASTER of event {slug!r} announces itself on the LAN: is it on and a MASTER?"
            " Or type its URL on /setup (master_url)"
        )
    if len({m.url for m in masters}) > 1:
        listed = ", ".join(sorted(f"{m.url} ({m.device_id})" for m in masters))
        raise SyncNotConfigured(
            f"several MASTERs announce event {slug!r}: {listed}; choose one on /setup"
        )
    _discovered[slug] = masters[0].url
    return masters[0].url


async def push_to_central(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Enrolled box: report its state to central; the MASTER then pushes its outbox.

    A SLAVE's changes reach central through its MASTER, which replicates what it
    applied; a SLAVE turned MASTER pushes its own outbox from its own cursor.
    """
    db_path, role, _ = _paths(ctx)
    if role.central is None:
        return {"skipped": "not enrolled with central"}
    async with Forwarder.from_role(role, "central", db_path) as forwarder:
        await _report_status(ctx, db_path, role, forwarder)
        if role.role is not Role.MASTER:
            return {"skipped": f"{role.role.value}: only the MASTER pushes to central"}
        return {"acked": await forwarder.push_once()}


async def _report_status(
    ctx: JobContext, db_path: Path, role: RoleConfig, forwarder: Forwarder
) -> None:
    assert role.central is not None
    lag = await asyncio.to_thread(forwarder.outbox.lag)
    database = Database(db_path)
    event: dict[str, str | None] | None = None
    try:
        readers = await ReaderHealthService(database).list_readers()
        clocks = ClockService.from_settings(database, get_settings())
        state = await clocks.state(role.device_id, master=role.role is not Role.SLAVE)
        alarms = [dataclasses.asdict(a) for a in clock_alarms(state, clocks.tolerance_us)]
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
                    "place": row.place,  # a central older than issue 24 ignores it
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
        # Every report lists what is wrong now; central raises what is new, clears the rest.
        "alarms": [
            alarm_json(a)
            for a in await current_alarms(get_settings(), box_paths(ctx), state, by_worker=True)
        ],
        "clock_alarms": alarms,  # its own clock's, and its SLAVEs' offsets (edge.clocks)
    }
    headers = {"Authorization": f"Bearer {role.central.device_token}"}
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            await client.post(
                f"{forwarder.url}/api/v1/devices/status", json=status, headers=headers
            )
        except httpx.HTTPError as error:  # the push below reports the outage
            await ctx.log(f"status report failed: {error}", "warning")


async def upload_backup(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Enrolled box: snapshot the database and upload it (an interrupted upload resumes)."""
    db_path, role, paths = _paths(ctx)
    if role.central is None:
        return {"skipped": "not enrolled with central"}
    await ctx.progress(5, "snapshot")
    with backups_held(paths.backups_folder):
        snapshot = await asyncio.to_thread(take_snapshot, db_path, paths.backups_folder)
        await ctx.progress(40, "upload")
        try:
            # Through the tunnel while it is up, like the sync (edge.vpn.route).
            url = sync_url(role)
            result = await asyncio.to_thread(upload_snapshot, snapshot, role.central, url=url)
        finally:
            snapshot.path.unlink(missing_ok=True)
    await ctx.log(f"backup {result.backup_id}: {result.size} bytes up to change {snapshot.seq}")
    return {"backup_id": result.backup_id, "bytes": result.size, "seq": snapshot.seq}


async def keep_tunnel_up(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Enrolled box: bring the tunnel to central back after a reboot or a crash of wireguard-go."""
    _, role, paths = _paths(ctx)
    if role.central is None or not role.central.tunnel_granted:
        return {"skipped": "no tunnel granted by central (it has no WireGuard hub)"}
    if not role.vpn.enabled:
        return {"skipped": "the tunnel is turned off in reader.json (vpn.enabled)"}
    folder = paths.key_folder
    interface = role.vpn.interface
    try:
        restarted = await asyncio.to_thread(tunnel.keep_up, role.central, folder, interface)
    except VpnError as error:  # the next run tries again; the sync uses the public URL meanwhile
        await ctx.log(f"tunnel {interface} is down and could not be brought up: {error}", "error")
        raise
    if restarted:
        await ctx.log(f"tunnel {interface} was down: brought it back up")
    return {"up": True, "restarted": restarted}


async def refresh_results(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """MASTER: rewrite the live-results documents of the races whose results changed."""
    db_path, role, paths = _paths(ctx)
    if role.role is not Role.MASTER:
        return {"skipped": "not the MASTER"}
    folder = paths.cache_folder / "results"
    if kept_by_web(folder, get_settings().results_cache_every_s, time.monotonic() - _LOADED_S):
        # The web process writes them from the races it keeps for its screens: computed
        # here too, each big race would be held twice (edge.services.results_keeper).
        return {"skipped": "kept by the web process"}
    # Imported only now: a worker whose documents the web process keeps never loads the
    # results cache, the live path and the timing engine (2.6 MB of its RSS).
    from edge.services.results_cache import ResultsCache

    database = Database(db_path)
    cache = ResultsCache(database, folder)
    try:
        changed = await cache.refresh(role.event)
    finally:
        await database.close()
    if cache.computed:
        # A 20,000-row document's tens of MB are free now but glibc keeps them resident.
        give_back_free_memory()
    return {"changed": [f"{c.event}/{c.race}" for c in changed]}


async def prune_sessions(ctx: JobContext, payload: dict[str, Any]) -> dict[str, int]:
    """Delete expired login sessions (the web process writes one file per login)."""
    sessions = SessionFolder(box_paths(ctx).sessions_folder)
    removed = await asyncio.to_thread(sessions.prune)
    left = sessions.count()
    await ctx.log(f"pruned {removed} session files, {left} left")
    return {"removed": removed, "left": left}


async def follow_role(
    queue: JobQueue, role_file: Path, stop: asyncio.Event, *, poll_s: float = 1.0
) -> None:
    """Until ``stop``: when reader.json's role changes, run the role's jobs now (ROLE_JOBS)."""
    roles = watch_role(role_file, poll_s)
    stopping = asyncio.create_task(stop.wait())
    previous: tuple[object, ...] | None = None
    try:
        while True:
            changed = asyncio.ensure_future(anext(roles))
            await asyncio.wait({changed, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not changed.done():
                changed.cancel()
                with suppress(asyncio.CancelledError, StopAsyncIteration):
                    await changed
                return
            role = changed.result()
            now = (role.role, role.event, role.master_url, role.event_key, role.central)
            if previous is not None and now != previous:
                log.info("reader.json changed (role %s): running the role's jobs now", role.role)
                for kind in ROLE_JOBS:
                    spec = queue.registry.periodic.get(kind)
                    if spec is not None:
                        await ensure_periodic(queue, spec)
            previous = now
    finally:
        stopping.cancel()
        await roles.aclose()
