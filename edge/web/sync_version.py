"""Every answer of a sync route names the newest protocol version its receiver reads.

A sender learns from it which version to write (``edge.sync.forwarder``); errors
carry it too (a refusal is how a sender finds out that it wrote too new a
version), so this wraps the route's whole ASGI app rather than its handler.
Used by the box's ``/api/v1/ingest`` and central's ``/api/v1/sync`` controllers.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from edge.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION


def name_protocol_version(app: ASGIApp) -> ASGIApp:
    """Middleware: add ``Chrono-Sync-Protocol: <newest version read>`` to every answer."""

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
            await send(message)

        await app(scope, receive, sending)

    return named
