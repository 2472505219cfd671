"""/setup's actions: the box's status, its role, its event, its enrollment with central.

Every action validates everything first and then writes once (reader.json
atomically through ``save_role``), so an error leaves the box as it was.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from pydantic import ValidationError

from edge import roleconfig
from edge.errors import InvalidInput, NotFound, Problem
from edge.roleconfig import Role, RoleConfig, save_role
from edge.services.boxstate import BoxIdentity, VpnView, box_identity, vpn_view
from edge.services.events import EventService, LoadReport, get_event
from edge.services.passings import canonical_point, points_by_code
from edge.store.database import Database


@dataclass(frozen=True)
class EventChoice:
    """An event loaded on this box and its timing points."""

    slug: str
    name: str
    points: list[str]


class ReaderSummary(TypedDict):
    """Where the reader is and which antennas it uses."""

    host: str
    port: int
    antennas: list[int]


class CentralSummary(TypedDict):
    """The link to central (never the device token)."""

    url: str
    device_id: str
    tunnel_address: str


class ConfigSummary(TypedDict):
    """reader.json as the page shows it."""

    role: str
    event: str | None
    point: str | None
    master_url: str | None
    discovery: bool
    event_key: str
    reader: ReaderSummary
    central: CentralSummary | None
    checkin: CheckinSummary


class CheckinSummary(TypedDict):
    """Where the box checks chips before the start (``/checkin``)."""

    box: bool
    antennas: list[int]


@dataclass(frozen=True)
class SetupStatus:
    """Everything /setup shows."""

    claimed: bool
    identity: BoxIdentity
    config: ConfigSummary
    vpn: VpnView
    events: list[EventChoice]
    roles: list[str]
    overrides: dict[str, str]  # reader.json fields the environment forces -> the variable
    problem: str = ""  # reader.json cannot be read: shown, and the defaults are displayed


@dataclass(frozen=True)
class Enrolled:
    """What enrolling did: the link central granted and the tunnel's state after it."""

    url: str  # where the box syncs now: central's tunnel address when the tunnel is up
    device_id: str
    tunnel_address: str
    event: str | None
    tunnel: str  # "up" or "down"
    reason: str  # why the tunnel is down or has no handshake yet ("" when up)
    handshake_age_s: float | None


def config_summary(config: RoleConfig) -> ConfigSummary:
    """reader.json as the page shows it (never the device token)."""
    central = config.central
    return {
        "role": config.role.value,
        "event": config.event,
        "point": config.point,
        "master_url": config.master_url,
        "discovery": config.discovery,
        "event_key": config.event_key,
        "reader": {
            "host": config.reader.host,
            "port": config.reader.port,
            "antennas": list(config.reader.antennas),
        },
        "central": None
        if central is None
        else {
            "url": central.url,
            "device_id": central.device_id,
            "tunnel_address": central.tunnel_address,
        },
        "checkin": {"box": config.checkin.box, "antennas": list(config.checkin.antennas)},
    }


def _antennas(text: str, wired: list[int], problems: list[Problem]) -> list[int]:
    """Antenna numbers typed as ``3, 4`` (each one the reader uses), or problems saying why."""
    chosen: list[int] = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or int(part) not in wired:
            used = ", ".join(str(a) for a in wired)
            problems.append(
                Problem("antennas", f"{part!r} is not an antenna of the reader ({used})")
            )
            continue
        chosen.append(int(part))
    if not chosen and not problems:
        problems.append(Problem("antennas", "type the check-in antennas, like 4 or 3, 4"))
    return sorted(set(chosen))


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


class SetupService:
    """The actions of /setup for one box (its database and its reader.json)."""

    def __init__(self, db: Database, role_file: Path, key_folder: Path) -> None:
        self.db = db
        self.role_file = role_file
        self.key_folder = key_folder

    def current(self) -> RoleConfig:
        """reader.json as the processes see it (environment overrides applied)."""
        return roleconfig.load_role(self.role_file)

    async def status(self, claimed: bool) -> SetupStatus:
        """The box, its role, its tunnel and the events it can time."""
        problem = ""
        try:
            config = self.current()
        except InvalidInput as error:
            config, problem = RoleConfig(), str(error)
        identity, vpn = await asyncio.gather(
            asyncio.to_thread(box_identity),
            asyncio.to_thread(vpn_view, self.role_file, config.central is not None),
        )
        roles = [role.value for role in Role]
        return SetupStatus(
            claimed,
            identity,
            config_summary(config),
            vpn,
            await self.events(),
            roles,
            roleconfig.env_overrides(),
            problem,
        )

    async def events(self) -> list[EventChoice]:
        """Events loaded on this box, with their timing points."""
        choices = []
        for event in await EventService(self.db).list_events():
            async with self.db.read() as session:
                points = await points_by_code(session, event)
            choices.append(EventChoice(event.slug, event.name, sorted(points)))
        return choices

    async def choose_role(
        self,
        role: str,
        event: str | None = None,
        point: str | None = None,
        master_url: str | None = None,
        event_key: str | None = None,
        discovery: bool = False,
        reader: tuple[str, int] | None = None,
    ) -> RoleConfig:
        """Check the role, event, point and MASTER together, then write reader.json once.

        ``reader`` (host, port) moves the box to another LLRP reader; None keeps its own.
        """
        current = roleconfig.load_file_role(self.role_file)  # invalid: refused and kept
        problems: list[Problem] = []
        try:
            chosen = Role(role.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in Role)
            problems.append(Problem("role", f"{role!r} is not a role ({names})"))
            chosen = current.role
        event, point = _blank(event), _blank(point)
        if event is not None:
            point = await self._check_event(event, point, problems)
        elif point is not None:
            problems.append(Problem("point", "choose the event of this timing point"))
        key = _blank(event_key) or current.event_key
        if chosen is Role.MASTER and not key:
            key = roleconfig.new_event_key()  # the slaves of the event type it in
        update: dict[str, Any] = {
            "role": chosen,
            "event": event,
            "point": point,
            "master_url": _blank(master_url) if chosen is Role.SLAVE else None,
            "discovery": discovery and chosen is Role.SLAVE,
            "event_key": key,
        }
        if reader is not None:
            host, port = reader
            update["reader"] = current.reader.model_dump() | {"host": host, "port": port}
        try:
            new = RoleConfig.model_validate(current.model_dump() | update)
        except ValidationError as error:
            problems += [
                Problem(".".join(str(p) for p in e["loc"]) or "role", e["msg"])
                for e in error.errors()
            ]
        if problems:
            raise InvalidInput(problems, "nothing was changed")
        await asyncio.to_thread(save_role, self.role_file, new)
        return new

    async def set_checkin(self, where: str, antennas: str = "") -> RoleConfig:
        """Make the box (``where`` = "box"), some antennas ("antennas") or nothing ("none")
        a check-in point; reads there become check-ins, never passings. All or nothing."""
        current = roleconfig.load_file_role(self.role_file)  # invalid: refused and kept
        choice = where.strip().lower()
        problems: list[Problem] = []
        chosen: list[int] = []
        if choice == "antennas":
            chosen = _antennas(antennas, current.reader.antennas, problems)
        elif choice not in ("none", "box"):
            problems.append(Problem("checkin", f"{where!r}: none, box or antennas"))
        if problems:
            raise InvalidInput(problems, "nothing was changed")
        checkin = roleconfig.CheckinConfig(box=choice == "box", antennas=chosen)
        new = current.model_copy(update={"checkin": checkin})
        await asyncio.to_thread(save_role, self.role_file, new)
        return new

    async def _check_event(
        self, slug: str, point: str | None, problems: list[Problem]
    ) -> str | None:
        try:
            async with self.db.read() as session:
                found = await get_event(session, slug)
                points = await points_by_code(session, found)
        except NotFound as error:
            problems.append(Problem("event", error.message))
            return point
        if point is None:
            return None
        try:
            return canonical_point(points, point)
        except NotFound as error:
            problems.append(Problem("point", error.message))
            return point

    async def load_event(self, data: bytes, source: str) -> LoadReport:
        """Create or update an event from its YAML file (all or nothing)."""
        return await EventService(self.db).load_text(data, source)

    async def enroll(self, central_url: str, token: str) -> Enrolled:
        """Join central's fleet with a token, then bring the tunnel up when the box can."""
        problems = []
        if not central_url.strip():
            problems.append(Problem("central_url", "type central's URL"))
        if not token.strip():
            problems.append(Problem("token", "paste the enrollment token"))
        if problems:
            raise InvalidInput(problems, "nothing was changed")
        from edge.fleet import enrollment  # httpx and the key maker: only to enroll

        done = await asyncio.to_thread(
            enrollment.enroll_and_connect,
            central_url.strip(),
            token.strip(),
            role_file=self.role_file,
            key_folder=self.key_folder,
        )
        return Enrolled(
            done.central_url,
            done.device_id,
            done.tunnel_address,
            done.event_slug,
            done.tunnel,
            done.reason,
            done.handshake_age_s,
        )
