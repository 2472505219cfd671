"""/api/v1/sync: boxes push their outbox in batches (device token required)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromHeader

from central.services.devices import DeviceService
from central.services.replication import ReplicationService, parse_batch


class SyncController(Controller):
    """Replication of boxes' changes."""

    path = "/api/v1/sync"
    tags = ["sync"]  # noqa: RUF012 (Litestar reads a class attribute)

    @post("/batches", status_code=200)
    async def push_batch(
        self,
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        replication: NamedDependency[ReplicationService],
    ) -> dict[str, int]:
        """Apply a batch once: 200 with the acked seq, 409 with the expected seq on a gap."""
        device = await devices.authenticate(authorization)
        body = await request.body()
        batch = parse_batch(body, request.headers.get("content-encoding"))
        ack = await replication.apply(device, batch)
        return {"acked_seq": ack.acked_seq, "applied": ack.applied}

    @get("/cursor")
    async def cursor(
        self,
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        replication: NamedDependency[ReplicationService],
    ) -> dict[str, int]:
        """The last seq central holds for the calling device (where to resume)."""
        device = await devices.authenticate(authorization)
        return {"acked_seq": await replication.cursor(device)}
