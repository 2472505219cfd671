"""/results: a race's results by scratch, sex, category or team, with search and charts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from edge.services.arrivals import role_event
from edge.services.results_view import ResultsView
from edge.settings import Settings
from edge.store.database import Database
from edge.web.i18n import language_of, translator
from edge.web.pages.render import render


class ResultPages(Controller):
    """The results page (its script reloads the table when results change)."""

    include_in_schema = False

    @get("/results")
    async def results_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
        race: FromQuery[str | None] = None,
        tab: FromQuery[str] = "scratch",
        q: FromQuery[str] = "",
    ) -> Template:
        """One race's results; ``?event=&race=&tab=&q=`` choose what is shown."""
        page = await ResultsView(db).page(
            event=event,
            race=race,
            tab=tab,
            query=q,
            role_event=role_event(settings.paths.role_file),
            translate=translator(language_of(request)),
        )
        return render(request, "results.html", {"page": page})
