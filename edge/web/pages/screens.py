"""/screen/arrivals: the speaker's full-screen board, public like a scoreboard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from markupsafe import Markup

from edge.errors import NotFound
from edge.services.arrivals import ArrivalService, BoardScope, role_event
from edge.services.exports import live_page, public_results_url
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
        context = {"scope": scope, "board": board, "qr": _live_qr(settings, scope)}
        return render(request, "screen_arrivals.html", context)


def _live_qr(settings: Settings, scope: BoardScope) -> tuple[str, Markup] | None:
    """(address, its QR code as SVG) of the event's live page, when the screen shows one."""
    if not settings.screen_qr:
        return None
    url = live_page(public_results_url(settings.public_results_url, settings.paths.role_file),
                    scope.slug)  # fmt: skip
    if not url:
        return None
    from edge.exports.qr import qr_svg  # segno: loaded only by a box that shows the code

    return url, Markup(qr_svg(url))  # segno draws modules only: no text of ours in it
