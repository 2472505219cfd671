"""/api/v1/sync: boxes push their outbox in batches (device token required)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromHeader

from central.services.devices import DeviceService
from central.services.replication import Ack, ReplicationService, parse_batch
from edge.sync.protocol import MAX_BATCH_BYTES, PROTOCOL_HEADER
from edge.web.openapi import BATCH_EXAMPLE, JSON, raw_body
from edge.web.sync_version import name_protocol_version


@dataclass
class Cursor:
    """The last seq central holds for the device: it resumes after it."""

    acked_seq: int


class SyncController(Controller):
    """Replication of boxes' changes."""

    path = "/api/v1/sync"
    tags = ["sync"]  # noqa: RUF012 (Litestar reads a class attribute)
    middleware = [name_protocol_version]  # noqa: RUF012

    # Room for a batch sent uncompressed; a gzipped one is inflated within the same bound.
    @post(
        "/batches",
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        operation_class=raw_body(JSON, "a box's batch (gzip allowed)", BATCH_EXAMPLE),
    )
    async def push_batch(
        self,
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        replication: NamedDependency[ReplicationService],
    ) -> Ack:
        """Apply a batch once: 200 with the acked seq, 409 with the expected seq on a gap.

        The device token is checked before the body is read; 413 beyond MAX_BATCH_BYTES.
        """
        device = await devices.authenticate(authorization)
        body = await request.body()
        encoding, version = (
            request.headers.get("content-encoding"),
            request.headers.get(PROTOCOL_HEADER),
        )
        batch = await asyncio.to_thread(parse_batch, body, encoding, version)  # the loop stays free
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
