"""/api/v1/sync: boxes push their outbox in batches (device token required)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromHeader

from central.services.devices import DeviceService
from central.services.replication import Ack, ReplicationService, parse_batch
from edge.web.openapi import BATCH_EXAMPLE, JSON, raw_body


@dataclass
class Cursor:
    """The last seq central holds for the device: it resumes after it."""

    acked_seq: int


class SyncController(Controller):
    """Replication of boxes' changes."""

    path = "/api/v1/sync"
    tags = ["sync"]  # noqa: RUF012 (Litestar reads a class attribute)

    @post(
        "/batches",
        status_code=200,
        operation_class=raw_body(JSON, "a box's batch (gzip allowed)", BATCH_EXAMPLE),
    )
    async def push_batch(
        self,
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        replication: NamedDependency[ReplicationService],
    ) -> Ack:
        """Apply a batch once: 200 with the acked seq, 409 with the expected seq on a gap."""
        device = await devices.authenticate(authorization)
        body = await request.body()
        batch = parse_batch(body, request.headers.get("content-encoding"))
        return await replication.apply(device, batch)

    @get("/cursor")
    async def cursor(
        self,
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        replication: NamedDependency[ReplicationService],
    ) -> Cursor:
        """The last seq central holds for the calling device (where to resume)."""
        device = await devices.authenticate(authorization)
        return Cursor(await replication.cursor(device))
