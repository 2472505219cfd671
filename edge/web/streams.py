"""Live streams (Server-Sent Events) are bounded: in total and per client address.

A stream holds a socket, a file descriptor and a poll loop for as long as the
client stays. Without a bound, a stranger on the race LAN opening a thousand
anonymous speaker-screen streams exhausts the process's descriptors: every
request then fails, ``/healthz`` included. Beyond the limits a new stream is
refused at once with 503 and ``Retry-After`` (:class:`edge.errors.Busy`); a
stream gives its slot back when it ends or its client goes away.

Every route answering ``text/event-stream`` is counted, whichever controller
declares it, so a new stream cannot forget the limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from edge.errors import Busy

EVENT_STREAM = "text/event-stream"
RETRY_AFTER_S = 10
"""What a refused client is told to wait: screens reconnect on their own."""


class StreamSlots:
    """Counts the open streams, in total and per client address."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total = total
        self.per_client = per_client
        self.by_client: Counter[str] = Counter()

    @property
    def open(self) -> int:
        """How many streams are open now."""
        return self.by_client.total()

    def acquire(self, client: str) -> None:
        """Take a slot for ``client``, or raise Busy (503) saying which limit is reached."""
        if self.by_client[client] >= self.per_client:
            raise Busy(
                f"{client} already has {self.per_client} live streams open on this box"
                " (CHRONO_EDGE_STREAMS_PER_CLIENT); close a screen or retry later",
                RETRY_AFTER_S,
            )
        if self.open >= self.total:
            raise Busy(
                f"this box already serves {self.total} live streams"
                " (CHRONO_EDGE_STREAMS_MAX); retry later",
                RETRY_AFTER_S,
            )
        self.by_client[client] += 1

    def release(self, client: str) -> None:
        """Give ``client``'s slot back."""
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]


def is_stream(scope: Scope) -> bool:
    """Whether the request goes to a route that answers a live event stream."""
    handler: Any = scope.get("route_handler")
    return str(scope["type"]) == "http" and getattr(handler, "media_type", None) == EVENT_STREAM


def stream_limits(slots: StreamSlots) -> Callable[[ASGIApp], ASGIApp]:
    """Litestar middleware: a stream runs only while it holds one of ``slots``."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            if not is_stream(scope):
                await app(scope, receive, send)
                return
            peer = scope.get("client")
            client = peer[0] if peer else "unknown"
            slots.acquire(client)  # Busy: rendered as 503 by edge.web.errors
            try:
                await app(scope, receive, send)
            finally:
                slots.release(client)

        return limited

    return middleware
