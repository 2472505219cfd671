"""/api/v1/sync: boxes push their outbox in batches (device token required)."""

from __future__ import annotations

import zlib
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromHeader

from central.errors import Invalid
from central.services.devices import DeviceService
from central.services.replication import ReplicationService, parse_batch

MAX_BATCH_BYTES = 64 * 1024 * 1024
"""Largest batch accepted once decompressed (a zip bomb stops here)."""


def decode_body(body: bytes, encoding: str | None) -> bytes:
    """The request body, gunzipped when the box compressed it."""
    if (encoding or "").strip().lower() != "gzip":
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_BATCH_BYTES)
    except zlib.error as error:
        raise Invalid(f"the body is not valid gzip: {error}") from error
    if inflater.unconsumed_tail:
        raise Invalid(f"the batch is larger than {MAX_BATCH_BYTES} bytes once decompressed")
    return data


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
        raw = decode_body(await request.body(), request.headers.get("content-encoding"))
        ack = await replication.apply(device, parse_batch(raw))
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
