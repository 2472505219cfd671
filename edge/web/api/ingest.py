"""/api/v1/ingest: a MASTER takes its SLAVEs' batches (event key required)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromHeader

from edge.auth.limiter import LastingLimiter
from edge.clocks.probe import ClockReply, read_probe, wall_us
from edge.services.clocks import ClockService
from edge.settings import Settings
from edge.store.database import Database
from edge.sync.apply import InboxService
from edge.sync.protocol import MAX_BATCH_BYTES, PROTOCOL_HEADER, Ack
from edge.web.auth import client_address
from edge.web.openapi import BATCH_EXAMPLE, JSON, raw_body
from edge.web.sync_version import name_protocol_version


def provide_inbox(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    key_attempts: NamedDependency[LastingLimiter],
) -> InboxService:
    """Dependency: the inbox of SLAVEs' batches, checked against this box's reader.json."""
    tolerance_us = round(settings.clock_tolerance_ms * 1000)
    return InboxService(db, settings.paths.role_file, key_attempts, clock_tolerance_us=tolerance_us)


class IngestController(Controller):
    """SLAVE -> MASTER forwarding (edge.sync.protocol)."""

    path = "/api/v1/ingest"
    tags = ["sync"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"inbox": Provide(provide_inbox, sync_to_thread=False)}  # noqa: RUF012
    middleware = [name_protocol_version]  # noqa: RUF012

    # Room for a batch sent uncompressed; a gzipped one is inflated within the same bound.
    @post(
        "/batches",
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        operation_class=raw_body(JSON, "a SLAVE's batch (gzip allowed)", BATCH_EXAMPLE),
    )
    async def push_batch(
        self,
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        inbox: NamedDependency[InboxService],
    ) -> Ack:
        """Apply a batch once: 200 with the acked seq, 409 with the expected seq on a gap.

        The event key is checked before the body is read; 413 beyond MAX_BATCH_BYTES.
        """
        await inbox.authenticate(authorization, client_address(request))
        body = await request.body()
        headers = request.headers
        return await inbox.receive(
            body, headers.get("content-encoding"), headers.get(PROTOCOL_HEADER)
        )

    @post("/clock", status_code=200)
    async def exchange_clock(
        self,
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        inbox: NamedDependency[InboxService],
    ) -> ClockReply:
        """A SLAVE's clock exchange: t2 and t3 on this MASTER's clock; its report stored.

        The NTP way (edge.clocks.probe): the SLAVE computes its offset from t1..t4 and
        reports its best recent one in the next exchange.
        """
        received = wall_us()
        await inbox.authenticate(authorization, client_address(request))  # before the body
        probe = read_probe(await request.body())
        await ClockService(inbox.db).record_report(probe)
        return ClockReply(t1_us=probe.t1_us, t2_us=received, t3_us=wall_us())
