"""/screen/arrivals: the speaker's full-screen board, public like a scoreboard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from edge.errors import NotFound
from edge.services.arrivals import ArrivalService, role_event
from edge.settings import Settings
from edge.store.database import Database
from edge.web.pages.render import render


class ScreenPages(Controller):
    """Screens meant for a TV at the finish line: no navigation, large type, live."""

    include_in_schema = False

    @get("/screen/arrivals", opt={"public": True})
    async def arrivals_screen(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
        race: FromQuery[str | None] = None,
    ) -> Template:
        """Last arrivals and runners arriving soon of the box's event (``?event=&race=``)."""
        arrivals = ArrivalService(db)
        try:
            scope = await arrivals.scope(event, role_event(settings.paths.role_file), race)
        except NotFound:
            if event or race:
                raise
            # A box switched on before its event is loaded: the screen waits and retries.
            return render(request, "screen_arrivals.html", {"scope": None, "board": None})
        board = await arrivals.board(scope)
        return render(request, "screen_arrivals.html", {"scope": scope, "board": board})
