"""/api/v1/events/{slug}/passings/stream: the console's live passings, as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from edge.services.console import ConsoleService
from edge.settings import Settings
from edge.store.database import SQL_INT_MAX, Database


class PassingStreamController(Controller):
    """Live passings of an event, for the timing console."""

    path = "/api/v1/events/{slug:str}/passings/stream"
    tags = ["passings"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/", media_type="text/event-stream")
    async def stream(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        after: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 0,
    ) -> ServerSentEvent:
        """``passing`` (a row, new or changed), ``removed``, ``correction`` and ``board`` events.

        ``after`` is the outbox cursor the page was rendered at; a reconnecting
        browser resumes from its Last-Event-ID instead.
        """
        console = ConsoleService(db, settings.paths.role_file)
        event = await console.event(slug)  # 404 before the stream starts
        resume = request.headers.get("last-event-id", "")
        start = max(after, int(resume)) if resume.isdigit() else after

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for message in console.live(event, start):
                yield ServerSentEventMessage(
                    data=json.dumps(message.data), event=message.event, id=str(message.cursor)
                )

        return ServerSentEvent(events())
