"""/api/v1/ota: a box asks which release it should run, and reports how its update goes."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromHeader, FromQuery, JSONBody

from central.services.devices import DeviceService
from central.services.updates import Offer, ReportIn, UpdateService


class OtaController(Controller):
    """Over-the-air updates, for boxes (device token required)."""

    path = "/api/v1/ota"
    tags = ["ota"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/offer")
    async def offer(
        self,
        authorization: FromHeader[str | None],
        channel: FromQuery[str],
        target: FromQuery[str],
        devices: NamedDependency[DeviceService],
        updates: NamedDependency[UpdateService],
    ) -> Offer:
        """The version this box should run and its target name; ``version`` null if none."""
        device = await devices.authenticate(authorization)
        return await updates.offer(device, channel, target)

    @post("/report", status_code=204)
    async def report(
        self,
        authorization: FromHeader[str | None],
        data: JSONBody[ReportIn],
        devices: NamedDependency[DeviceService],
        updates: NamedDependency[UpdateService],
    ) -> None:
        """Store the box's update state (the latest, and the history when it changed)."""
        device = await devices.authenticate(authorization)
        await updates.record(device, data)
