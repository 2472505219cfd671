"""/results: a race's results by scratch, sex, category or team, with search and charts.

A page of rows at a time (``Settings.page_rows``); ``/results/rows`` is the same page's
tabs and rows alone, which the page's script swaps in for a search, a page change or a
new version of the results, without reloading (or rendering) the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from edge.errors import NotFound
from edge.services.arrivals import role_event
from edge.services.results_view import ResultsPage, ResultsView
from edge.services.signoff import SignoffService
from edge.settings import Settings
from edge.store.database import Database
from edge.web.i18n import language_of, translator
from edge.web.pages.paging import PageNumber, PageSize
from edge.web.pages.render import render


class ResultPages(Controller):
    """The results page and its rows (its script reloads them when results change)."""

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
        page: PageNumber = 1,
        per_page: PageSize = None,
    ) -> Template:
        """One race's results; ``?event=&race=&tab=&q=&page=`` choose what is shown."""
        shown = await _results(request, db, settings, event, race, tab, q, page, per_page)
        state = None
        if shown.event and shown.race:  # provisional or official (edge.services.signoff)
            state = await SignoffService(db).state(shown.event, shown.race)
        context = {"page": shown, "per_page": per_page, "state": state}
        return render(request, "results.html", context)

    @get("/results/rows")
    async def results_rows(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
        race: FromQuery[str | None] = None,
        tab: FromQuery[str] = "scratch",
        q: FromQuery[str] = "",
        page: PageNumber = 1,
        per_page: PageSize = None,
        version: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> Template:
        """The tabs and rows of ``/results`` with the same parameters, as an HTML fragment.

        ``version``: the results version the page shows; rows of that version or newer
        will do (a search, a page change), none newer is waited for.
        """
        shown = await _results(request, db, settings, event, race, tab, q, page, per_page, version)
        if shown.event is None:
            raise NotFound("no event on this box yet: load one on the setup page")
        return render(request, "results_rows.html", {"page": shown, "per_page": per_page})


async def _results(
    request: Request[Any, Any, Any],
    db: Database,
    settings: Settings,
    event: str | None,
    race: str | None,
    tab: str,
    query: str,
    number: int,
    per_page: int | None,
    version: int | None = None,
) -> ResultsPage:
    return await ResultsView(db).page(
        event=event,
        race=race,
        tab=tab,
        query=query,
        role_event=role_event(settings.paths.role_file),
        translate=translator(language_of(request)),
        number=number,
        per_page=per_page or settings.page_rows,
        shown=version,
    )
