"""The role ``serve`` is playing, followed live from reader.json, and its mDNS announcement.

The web process holds the role in force (``current``) for its pages and API,
switches within reader.json's polling period when /setup (or anyone) rewrites
the file, and announces itself on the LAN while it is the MASTER of an event, so
that SLAVEs find it without a typed URL. An invalid file keeps the last valid
role; a file invalid from the start leaves the box UNCONFIGURED (its /setup page
must still open to fix it).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from edge.domain.clock import now_us
from edge.errors import InvalidInput
from edge.roleconfig import (
    Role,
    RoleConfig,
    env_overrides,
    load_role,
    unconfigured_role,
    watch_role,
)

if TYPE_CHECKING:
    from edge.fleet.discovery import Announcement

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listening:
    """Where this ``serve`` answers, to announce it."""

    host: str
    port: int
    version: str


class RoleStatus(TypedDict):
    """The role in force as ``/api/v1/role`` shows it: no secrets."""

    role: str
    device_id: str
    reader_serial: str | None
    event: str | None
    point: str | None
    master_url: str | None
    discovery: bool
    enrolled: bool
    since_us: int
    announced: bool  # whether this MASTER announces itself on the LAN
    environment: dict[str, str]  # reader.json field -> the variable forcing it
    problem: str


class RoleService:
    """Follows reader.json for the web process; announces the MASTER by zeroconf."""

    def __init__(
        self,
        role_file: Path,
        listening: Listening,
        *,
        poll_s: float = 1.0,
        announce: bool = True,
    ) -> None:
        self.role_file = role_file
        self.listening = listening
        self.poll_s = poll_s
        self.announce = announce
        self.problem = ""
        try:
            self.current = load_role(role_file)
        except InvalidInput as error:
            self.problem = str(error)
            self.current = unconfigured_role()
        self.since_us = now_us()
        self._announcement: Announcement | None = None  # while on the air
        self._announced_as: tuple[str | None, str] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start following reader.json (Litestar on_startup)."""
        if self._task is None:
            self._task = asyncio.create_task(self._follow(), name="role-follower")

    async def close(self) -> None:
        """Stop following and withdraw the announcement (Litestar on_shutdown)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(self._withdraw)

    def status(self) -> RoleStatus:
        """The role in force, without secrets (event key, device token)."""
        role = self.current
        return {
            "role": role.role.value,
            "device_id": role.device_id,
            "reader_serial": role.reader_serial,
            "event": role.event,
            "point": role.point,
            "master_url": role.master_url,
            "discovery": role.discovery,
            "enrolled": role.central is not None,
            "since_us": self.since_us,
            "announced": self._announcement is not None,
            "environment": env_overrides(),
            "problem": self.problem,
        }

    async def _follow(self) -> None:
        await self._apply(self.current)
        roles = watch_role(self.role_file, self.poll_s)
        try:
            async for role in roles:
                if role != self.current:
                    log.info("reader.json changed: this box is now %s", role.role.value.upper())
                    self.current, self.since_us, self.problem = role, now_us(), ""
                await self._apply(role)
        finally:
            await roles.aclose()

    async def _apply(self, role: RoleConfig) -> None:
        """Announce while MASTER of an event; withdraw otherwise (or when the event changes)."""
        wanted = self.announce and role.role is Role.MASTER and bool(role.event)
        key = (role.event, role.device_id)
        if self._announcement is not None and (not wanted or self._announced_as != key):
            await asyncio.to_thread(self._withdraw)
        if wanted and self._announcement is None:
            try:
                await asyncio.to_thread(self._announce, role)
            except Exception as error:
                # No multicast, a name clash...: SLAVEs need the URL typed, but the role
                # must go on being followed, so this never ends the follower.
                log.warning("cannot announce this MASTER on the LAN: %s", error)
            else:
                self._announced_as = key

    def _announce(self, role: RoleConfig) -> None:
        from edge.fleet.discovery import announce  # zeroconf only where it is used

        host, port = self.listening.host, self.listening.port
        interfaces = None if _any_address(host) else [host]
        announcement = announce(
            url="" if interfaces is None else f"http://{host}:{port}",
            device_id=role.device_id,
            event=role.event,
            version=self.listening.version,
            port=port,
            interfaces=interfaces,
        )
        announcement.start()
        self._announcement = announcement
        log.info("announcing this MASTER of %s on the LAN as %s", role.event, announcement.url)

    def _withdraw(self) -> None:
        announcement, self._announcement = self._announcement, None
        if announcement is not None:
            announcement.stop()


def _any_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return True  # a name: announce every interface
