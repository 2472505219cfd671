"""/api/v1/events/{slug}/arrivals: the speaker screen's board, as JSON and as a live stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage

from edge.services.arrivals import ArrivalService
from edge.store.database import Database

RETRY_MS = 1000
"""How soon a browser reconnects after the stream dropped (EventSource ``retry``)."""


def provide_arrivals(db: NamedDependency[Database]) -> ArrivalService:
    """Dependency: the arrival service."""
    return ArrivalService(db)


class ArrivalController(Controller):
    """Last arrivals and runners arriving soon; public, like the screen that shows them."""

    path = "/api/v1/events/{slug:str}"
    tags = ["arrivals"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"arrivals": Provide(provide_arrivals, sync_to_thread=False)}  # noqa: RUF012

    @get("/arrivals", opt={"public": True})
    async def board(
        self,
        slug: FromPath[str],
        arrivals: NamedDependency[ArrivalService],
        race: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """Last arrivals, newest first, and runners past the last split, first expected first."""
        return await arrivals.board(await arrivals.scope(slug, None, race))

    @get("/arrivals/stream", opt={"public": True}, media_type="text/event-stream")
    async def stream(
        self,
        slug: FromPath[str],
        arrivals: NamedDependency[ArrivalService],
        race: FromQuery[str | None] = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: a ``board`` event now and within 200 ms of every change."""
        scope = await arrivals.scope(slug, None, race)  # 404 before the stream starts

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for board in arrivals.follow(scope):
                yield ServerSentEventMessage(
                    data=json.dumps(board), event="board", id=str(board["version"]), retry=RETRY_MS
                )

        return ServerSentEvent(events())

    @get("/results-version")
    async def results_version(
        self, slug: FromPath[str], arrivals: NamedDependency[ArrivalService]
    ) -> dict[str, int]:
        """A number that changes whenever results may have changed (pages poll it)."""
        await arrivals.scope(slug, None)  # 404 for an unknown event
        return {"version": await arrivals.live.watch.version()}
