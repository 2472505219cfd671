"""/checkin: the chip-check table before the start, its live stream, the list and chip swaps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage, Template

from edge.errors import ChronoEdgeError, Conflict, InvalidInput, NotFound
from edge.roleconfig import CheckinConfig, load_role
from edge.services.arrivals import role_event
from edge.services.checkins import MISSING_SHOWN, CheckinService, board_json
from edge.settings import Settings
from edge.store.database import Database
from edge.web.api.corrections import who
from edge.web.pages.render import render

RETRY_MS = 1000
"""How soon the tablet reconnects after the stream dropped (EventSource ``retry``)."""


def _checkin_role(settings: Settings) -> CheckinConfig | None:
    """Where this box checks chips (reader.json), or None when the file cannot be read."""
    try:
        return load_role(settings.paths.role_file).checkin
    except ChronoEdgeError:
        return None


class CheckinPages(Controller):
    """The check-in page (large, for a tablet on the check-in table) and chip swaps."""

    include_in_schema = False

    @get("/checkin")
    async def checkin_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
        race: FromQuery[str | None] = None,
        swapped: FromQuery[str | None] = None,
    ) -> Template:
        """The latest chip read at check-in, large, then the recent ones and every race's count."""
        return await self._page(request, db, settings, event, race, swapped=swapped)

    @get("/checkin/stream", media_type="text/event-stream")
    async def checkin_stream(
        self,
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: a ``board`` event now and after every check-in or chip swap."""
        checkins = CheckinService(db)
        chosen = await checkins.event(event, role_event(settings.paths.role_file))  # 404 first

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async for board in checkins.follow(chosen.slug):
                yield ServerSentEventMessage(
                    data=json.dumps(board_json(board)), event="board", retry=RETRY_MS
                )

        return ServerSentEvent(events())

    @post("/checkin/swap", status_code=200)
    async def swap(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, str]],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        """Give a chip to another bib; with any problem nothing is stored and the form says why."""
        slug = data.get("event", "")
        form = {k: data.get(k, "") for k in ("epc", "bib", "reason", "by")}
        try:
            await CheckinService(db).swap(
                slug, form["epc"], form["bib"], form["reason"], who(request, form["by"])
            )
        except (InvalidInput, NotFound, Conflict) as error:
            return await self._page(request, db, settings, slug, None, form=form, error=error)
        query = urlencode({"event": slug, "swapped": form["bib"].strip()})
        return Redirect(f"/checkin?{query}#swap", status_code=303)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        settings: Settings,
        event: str | None,
        race: str | None,
        *,
        swapped: str | None = None,
        form: dict[str, str] | None = None,
        error: ChronoEdgeError | None = None,
    ) -> Template:
        checkins = CheckinService(db)
        context: dict[str, Any] = {
            "board": None,
            "race": race or "",
            "setup": _checkin_role(settings),
            "swapped": swapped,
            "form": form or {},
            "error": error,
            "swaps": [],
        }
        try:
            chosen = await checkins.event(event, role_event(settings.paths.role_file))
        except NotFound:
            if event:
                raise
            return render(request, "checkin.html", context)  # no event on the box yet
        board = await checkins.board(chosen.slug, missing=MISSING_SHOWN)
        context["board"] = board
        context["timezone"] = chosen.timezone
        context["swaps"] = await checkins.swaps(chosen.slug)
        status = 422 if error is not None else 200
        response = render(request, "checkin.html", context)
        response.status_code = status
        return response
