"""Runs the reader service for the role in reader.json, and again when the role changes.

A role changed on ``/setup`` (another event, point or reader) takes effect without a
restart of the process: the running service stops its inventory politely, commits
every read it holds, and a new one starts with the new role. A file that cannot be
used (unknown event or point) is reported and the current role stays in force. An
UNCONFIGURED box (fresh from the image) runs no reader service at all.
Options given on the command line keep their value whatever the file says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.errors import ChronoEdgeError
from edge.rfid.service import ReaderService, ReadingTarget, Tuning, resolve_target
from edge.roleconfig import ReaderConfig, Role, RoleConfig, watch_role
from edge.store.reads import DatabaseFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    """What the command line fixed (None: take it from reader.json)."""

    host: str | None = None
    port: int | None = None
    event: str | None = None
    point: str | None = None


@dataclass(frozen=True)
class Plan:
    """What one run of the service reads, and for what."""

    target: ReadingTarget
    reader: ReaderConfig


async def make_plan(db: DatabaseFile, role: RoleConfig, choice: Choice) -> Plan:
    """Combine reader.json and the command line; the event and point must exist."""
    fixed = {key: value for key, value in (("host", choice.host), ("port", choice.port)) if value}
    reader = ReaderConfig.model_validate({**role.reader.model_dump(), **fixed})
    slug, point = choice.event or role.event, choice.point or role.point
    if not slug:
        raise ChronoEdgeError('no event chosen: pass --event or set "event" in reader.json')
    if not point:
        raise ChronoEdgeError('no timing point chosen: pass --point or set "point" in reader.json')
    target = await resolve_target(db, slug, point, role.device_id)
    checkin = dataclasses.replace(
        target, checkin_antennas=frozenset(role.checkin.antennas), checkin_all=role.checkin.box
    )
    return Plan(checkin, reader)


async def plan_for(db: DatabaseFile, role: RoleConfig, choice: Choice) -> Plan | None:
    """The plan for ``role``; None while the box is UNCONFIGURED (the reader idles)."""
    if role.role is Role.UNCONFIGURED:
        return None
    return await make_plan(db, role, choice)


async def supervise(
    db: DatabaseFile,
    role_file: Path,
    choice: Choice,
    stop: asyncio.Event,
    *,
    tuning: Tuning | None = None,
    poll_s: float = 1.0,
) -> None:
    """Run the reader service until ``stop``; restart it when reader.json changes.

    MASTER and SLAVE read alike (a role switch alone changes no plan, so the
    inventory goes on untouched); an UNCONFIGURED box idles until a role is chosen.
    """
    roles = watch_role(role_file, poll_s)
    changed: asyncio.Task[RoleConfig] | None = None
    stopping = asyncio.create_task(stop.wait())
    try:
        plan = await plan_for(db, await anext(roles), choice)
        while not stop.is_set():
            service_stop = asyncio.Event()
            running: asyncio.Task[None] | None = None
            if plan is None:
                log.info("the box is UNCONFIGURED: the reader idles until /setup chooses a role")
            else:
                service = ReaderService(db, plan.target, plan.reader, tuning=tuning)
                running = asyncio.create_task(service.run(service_stop), name="reader-service")
            try:
                while True:
                    changed = changed or asyncio.create_task(_next(roles))
                    waiters: set[asyncio.Future[Any]] = {changed, stopping}
                    if running is not None:
                        waiters.add(running)
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    if (running is not None and running.done()) or stopping.done():
                        break
                    role, changed = changed.result(), None
                    try:
                        new = await plan_for(db, role, choice)
                    except ChronoEdgeError as err:
                        log.error(
                            "reader.json changed but cannot be used, keeping the current role: %s",
                            err,
                        )
                        continue
                    if new != plan:
                        log.info("reader.json changed: restarting the reader service")
                        plan = new
                        break
                    # Logged so an operator (and the role-switch test) sees the switch was taken.
                    log.info(
                        "reader.json changed: role %s, same reader, event and point: reading on",
                        role.role.value,
                    )
            finally:
                service_stop.set()
                if running is not None:
                    await running  # commits every read it holds, or raises what failed
    finally:
        stopping.cancel()
        if changed is not None:
            changed.cancel()
            with suppress(asyncio.CancelledError):
                await changed
        if isinstance(roles, AsyncGenerator):  # watch_role is one; end its polling
            await roles.aclose()


async def _next(roles: AsyncIterator[RoleConfig]) -> RoleConfig:
    return await anext(roles)
