"""/api/v1/setup: the /setup page's actions as JSON (claim, login, role, event, enrollment)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from msgspec import Meta

from edge.roleconfig import HOST_PATTERN
from edge.services.admin import AdminService
from edge.services.boxstate import MasterChoice, VpnView, discover_masters
from edge.services.events import LoadReport
from edge.services.readercheck import LISTEN_S, TIMEOUT_S, check_reader
from edge.services.setup import (
    ConfigSummary,
    Enrolled,
    EventChoice,
    SetupService,
    config_summary,
)
from edge.settings import Settings
from edge.store.database import Database
from edge.web.auth import PUBLIC, client_address, start_session
from edge.web.openapi import EVENT_EXAMPLE, YAML, raw_body


@dataclass
class ClaimIn:
    """The setup PIN and the new admin password."""

    pin: str
    password: str
    password_again: str | None = None


@dataclass
class LoginIn:
    """The admin password."""

    password: str


MAX_TEST_S = 30.0
"""The longest a reader test may wait to connect, or listen."""


@dataclass
class ReaderTestIn:
    """Which reader to test (default: reader.json's) and for how long."""

    host: Annotated[str, Meta(pattern=HOST_PATTERN, max_length=253)] | None = None
    port: Annotated[int, Meta(ge=1, le=65535)] | None = None
    timeout_s: Annotated[float, Meta(gt=0, le=MAX_TEST_S)] = TIMEOUT_S
    listen_s: Annotated[float, Meta(ge=0, le=MAX_TEST_S)] = LISTEN_S


@dataclass
class RoleIn:
    """The box's role at the event."""

    role: str
    event: str | None = None
    point: str | None = None
    master_url: str | None = None
    event_key: str | None = None
    discovery: bool = False


@dataclass
class EnrollIn:
    """Central's URL and a single-use enrollment token."""

    central_url: str
    token: str


@dataclass
class SetupStatusOut:
    """Everything /setup shows: the claim, the box, reader.json, the tunnel, the events."""

    claimed: bool
    serial: str
    hostname: str
    addresses: list[str]
    version: str
    config: ConfigSummary
    vpn: VpnView
    events: list[EventChoice]
    roles: list[str]
    overrides: dict[str, str]  # reader.json fields the environment forces -> the variable
    problem: str


@dataclass
class Claimed:
    """The box is claimed; the caller is logged in."""

    claimed: bool
    notice: str


@dataclass
class LoggedIn:
    """Whether this session is logged in now."""

    logged_in: bool


@dataclass
class ReaderTestOut:
    """What the reader test found (clock offset: box minus reader)."""

    ok: bool
    address: str
    source: str
    antennas_seen: list[int]
    reads: int
    clock_offset_us: int | None
    detail: str
    clock_offset_s: float | None


@dataclass
class RoleChosen:
    """The role set, and reader.json as it is now."""

    notice: str
    config: ConfigSummary


@dataclass
class EventLoaded:
    """The event file loaded and what it changed."""

    notice: str
    report: LoadReport


@dataclass
class EnrollDone:
    """The link central granted and the tunnel's state after it."""

    notice: str
    central: Enrolled
    vpn: VpnView


@dataclass
class MastersFound:
    """Other MASTERs announcing themselves on the LAN."""

    masters: list[MasterChoice]


def provide_setup(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> SetupService:
    """Dependency: the setup service of this box."""
    return SetupService(db, settings.paths.role_file, settings.paths.key_folder)


class SetupController(Controller):
    """The box's setup, for scripts and tests (the page does the same)."""

    path = "/api/v1/setup"
    tags = ["setup"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"setup": Provide(provide_setup, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def status(
        self, setup: NamedDependency[SetupService], admin: NamedDependency[AdminService]
    ) -> SetupStatusOut:
        """Serial, addresses, version, role, VPN state, events and MASTERs nearby."""
        found = await setup.status(admin.claimed())
        box = found.identity
        return SetupStatusOut(
            found.claimed,
            box.serial,
            box.hostname,
            box.addresses,
            box.version,
            found.config,
            found.vpn,
            found.events,
            found.roles,
            found.overrides,
            found.problem,
        )

    @post("/claim", opt=PUBLIC, status_code=200)
    async def claim(
        self,
        data: JSONBody[ClaimIn],
        request: Request[Any, Any, Any],
        admin: NamedDependency[AdminService],
    ) -> Claimed:
        """Set the admin password with the setup PIN; the caller is logged in."""
        credential = await admin.claim(
            data.pin, data.password, client_address(request), data.password_again
        )
        start_session(request, credential)
        return Claimed(True, "the box is claimed; the setup PIN is spent")

    @post("/login", opt=PUBLIC, status_code=200)
    async def login(
        self,
        data: JSONBody[LoginIn],
        request: Request[Any, Any, Any],
        admin: NamedDependency[AdminService],
    ) -> LoggedIn:
        """Log in with the admin password (session cookie)."""
        start_session(request, await admin.log_in(data.password, client_address(request)))
        return LoggedIn(True)

    @post("/logout", opt=PUBLIC, status_code=200)
    async def logout(self, request: Request[Any, Any, Any]) -> LoggedIn:
        """End this session."""
        request.clear_session()
        return LoggedIn(False)

    @post("/reader-test", status_code=200)
    async def reader_test(
        self,
        setup: NamedDependency[SetupService],
        db: NamedDependency[Database],
        data: JSONBody[ReaderTestIn | None] = None,
    ) -> ReaderTestOut:
        """Connect to the reader for a few seconds: antennas seen, clock offset."""
        wanted = data or ReaderTestIn()
        reader = setup.current().reader
        update = {k: v for k, v in (("host", wanted.host), ("port", wanted.port)) if v}
        found = await check_reader(
            db,
            reader.model_copy(update=update),
            timeout_s=wanted.timeout_s,
            listen_s=wanted.listen_s,
        )
        return ReaderTestOut(**dataclasses.asdict(found), clock_offset_s=found.clock_offset_s)

    @post("/role", status_code=200)
    async def choose_role(
        self, data: JSONBody[RoleIn], setup: NamedDependency[SetupService]
    ) -> RoleChosen:
        """Set the role, event, point and MASTER together (422 and nothing written on error)."""
        config = await setup.choose_role(
            data.role, data.event, data.point, data.master_url, data.event_key, data.discovery
        )
        return RoleChosen(f"this box is now {config.role.value}", config_summary(config))

    @post(
        "/event",
        status_code=200,
        operation_class=raw_body(YAML, "an event file (docs/imports.md)", EVENT_EXAMPLE),
    )
    async def load_event(
        self, request: Request[Any, Any, Any], setup: NamedDependency[SetupService]
    ) -> EventLoaded:
        """Create or update an event from the YAML file in the body."""
        report = await setup.load_event(await request.body(), "uploaded event file")
        verb = "loaded" if report.created else "updated"
        return EventLoaded(f"event {report.slug} {verb}", report)

    @post("/enroll", status_code=200)
    async def enroll(
        self, data: JSONBody[EnrollIn], setup: NamedDependency[SetupService]
    ) -> EnrollDone:
        """Enroll with central using a token, then bring the tunnel up when possible."""
        done = await setup.enroll(data.central_url, data.token)
        status = await setup.status(True)
        return EnrollDone(f"enrolled with {done.url} as {done.device_id}", done, status.vpn)

    @get("/masters")
    async def masters(self, setup: NamedDependency[SetupService]) -> MastersFound:
        """Other MASTERs announcing themselves on the LAN (of reader.json's event if set)."""
        config = setup.current()
        found = await discover_masters(config.event)
        others = [m for m in found if m.device_id != config.device_id]  # not this box itself
        return MastersFound(others)
