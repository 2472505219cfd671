"""/api/v1/devices, /api/v1/alerts and /api/v1/alarms: the fleet's state (boxes report,
admins read)."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromHeader, FromQuery, JSONBody

from central.services.alarms import AlarmService
from central.services.devices import DeviceService
from central.services.fleet import Alert, FleetService, StatusIn
from central.services.users import UserService
from central.web.auth import LoginThrottle, admin_of


@dataclasses.dataclass
class DeviceOut:
    """A device with its last report, and whether it is online (heartbeat and tunnel)."""

    id: str
    serial: str
    hostname: str
    event: str
    role: str
    version: str
    tunnel_address: str
    last_seen_age_s: float | None
    pending_changes: int
    lag_s: float
    last_backup_age_s: float | None
    disk_free_pct: float | None
    readers: list[dict[str, object]]
    hub_running: bool
    handshake_age_s: float | None
    clock_alarms: list[dict[str, str]]  # the box's clock alarms, as it last reported them
    online: bool
    tunnel: str  # "no tunnel", "never" or the handshake's age


@dataclasses.dataclass
class AlarmOut:
    """An alarm a box reported, open or cleared (times in µs since the epoch, UTC)."""

    id: str
    device_id: str
    hostname: str
    event: str
    code: str
    severity: str
    subject: str
    message: str
    since_us: int | None
    raised_us: int
    cleared_us: int | None
    pushes_waiting: int  # notifications not yet taken by their channel
    push_error: str  # the last error of one of them
    open: bool


class FleetController(Controller):
    """Device reports and what admins see of them."""

    path = "/api/v1"
    tags = ["fleet"]  # noqa: RUF012 (Litestar reads a class attribute)

    @post("/devices/status", status_code=204)
    async def report(
        self,
        data: JSONBody[StatusIn],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        fleet: NamedDependency[FleetService],
    ) -> None:
        """A box reports its role, readers, sync lag, disk and last backup (device token)."""
        await fleet.report(await devices.authenticate(authorization), data)

    @get("/devices")
    async def list_devices(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        fleet: NamedDependency[FleetService],
    ) -> list[DeviceOut]:
        """Every device with its last report (admin)."""
        await admin_of(request, users, throttle)
        return [
            DeviceOut(**dataclasses.asdict(d), online=d.online, tunnel=d.tunnel)
            for d in await fleet.devices()
        ]

    @get("/alerts")
    async def list_alerts(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        fleet: NamedDependency[FleetService],
    ) -> list[Alert]:
        """Silent devices, disconnected readers, sync lag > 60 s, disk < 10 % (admin)."""
        await admin_of(request, users, throttle)
        return await fleet.alerts()

    @get("/alarms")
    async def list_alarms(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        alarms: NamedDependency[AlarmService],
        open_only: FromQuery[bool] = False,
    ) -> list[AlarmOut]:
        """Alarms the boxes reported: open ones, then the cleared history (admin)."""
        await admin_of(request, users, throttle)
        found = await alarms.alarms(open_only=open_only)
        return [AlarmOut(**dataclasses.asdict(a), open=a.open) for a in found]
