"""The spectators' pages: the events with published results, and an event's results.

No login, no session, no cookie: the language is in the URL (``?lang=``) or the
browser's Accept-Language (``central.web.language``), so a CDN or an nginx cache in
front may keep each page (a browser revalidates it at every load). Every page carries
an ETag made from what it shows (the race's published version, the language, the tab,
the search, the page) and answers 304 to whoever holds it, without rendering anything.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions.responses import create_exception_response
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_404_NOT_FOUND

from central.errors import NotFound
from central.services.public import PublicResultsService, RaceResults
from central.services.public_view import PAGE_ROWS, view
from central.web.columns import column_label
from central.web.language import LANGUAGES, PARAMETER, pick_language, translator, vary_headers
from central.web.page_cache import PageCache, caching_headers, conditional, page_etag
from edge.domain.clock import from_us

REFRESH_S = 15
"""The event page reloads itself this often (the box publishes every few seconds)."""
TAB_LABELS = {"scratch": "Scratch", "sex": "By sex", "category": "By category", "team": "Teams"}
Query = Annotated[str, QueryParameter(max_length=100)]
PAGES = PageCache()
"""The event pages rendered by this process, by ETag."""


class PublicPages(Controller):
    """The public list of events and the event pages (cacheable, no session)."""

    include_in_schema = False
    opt = {"skip_session": True}  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/public")
    async def events(
        self, request: Request[Any, Any, Any], public: NamedDependency[PublicResultsService]
    ) -> Response[Any]:
        """The events with published results, today's first."""
        language = pick_language(request)
        events = await public.events()
        shown = [(e.slug, e.name, e.date, e.place, e.races, e.today) for e in events]
        etag = page_etag("events", language, str(_asked(request)), repr(shown))
        context = {"events": events}
        return _answer(request, "public_events.html", context, language, etag)

    @get("/public/events/{slug:str}")
    async def event(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        public: NamedDependency[PublicResultsService],
        race: FromQuery[str | None] = None,
        tab: FromQuery[str] = "scratch",
        q: Query = "",
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    ) -> Response[Any]:
        """A race's results: tabs per race and per view, search by bib or name, a page of rows."""
        language = pick_language(request)
        name, races = await public.event_facts(slug)
        if not races:
            return _missing(request, language, slug, None, [])
        race = race or races[0]
        if race not in races:
            return _missing(request, language, slug, race, races)
        try:
            found = await public.encoded(slug, race)
        except NotFound:  # unpublished between the two looks
            return _missing(request, language, slug, race, races)
        asked = language if _asked(request) else None  # then every link keeps it
        shown = (slug, name, race, found.etag, tab, q, str(page), repr(races))
        etag = page_etag("event", language, str(asked), *shown)
        headers, unchanged = conditional(request, etag, vary_headers(request))
        if unchanged is not None:
            return unchanged

        async def render() -> bytes:
            results = await public.document(slug, race)
            context = await asyncio.to_thread(
                _event_context, results, name, races, language, tab, q, page
            )
            context["link"] = link = _linker(slug, race, context["view"].tab, q, asked)
            context.update(_language_context(request, language, link))
            engine = request.app.template_engine
            assert engine is not None  # central's app configures its templates
            template = engine.get_template("public_results.html")
            rendered: str = await asyncio.to_thread(template.render, **context)
            return rendered.encode()

        body = await PAGES.get(etag, render)
        return Response(body, media_type=MediaType.HTML, headers=headers)


def _event_context(
    results: RaceResults,
    name: str,
    races: list[str],
    language: str,
    tab: str,
    q: str,
    page: int,
) -> dict[str, Any]:
    """What the event page shows (in a thread: a grouped tab sorts every row of the race)."""
    translate = translator(language)
    shown = view(results.document, tab, q, page)
    return {
        "slug": results.event,
        "name": name,
        "race": results.race,
        "races": races,
        "view": shown,
        "query": q,
        "tab_labels": TAB_LABELS,
        "updated": from_us(results.updated_us).strftime("%H:%M:%S UTC"),
        "headings": {c: column_label(c, translate) for c in shown.columns},
        "state": results.document.get("state"),
        "version": results.document.get("version"),
        "page_rows": PAGE_ROWS,
        "refresh": REFRESH_S,
    }


def _asked(request: Request[Any, Any, Any]) -> bool:
    """Whether the URL chose the language (then the page's links keep it)."""
    return request.query_params.get(PARAMETER) in LANGUAGES


def _linker(slug: str, race: str, tab: str, query: str, language: str | None) -> Any:
    """``link(race=, tab=, q=, page=, lang=)``: this page's URL with some parameters changed."""

    def link(**changes: Any) -> str:
        parameters: dict[str, Any] = {"race": race, "tab": tab, "q": query, "lang": language}
        parameters.update(changes)
        if parameters.get("tab") == "scratch":
            parameters.pop("tab")
        if parameters.get("page") == 1:
            parameters.pop("page")
        kept = {name: value for name, value in parameters.items() if value not in (None, "")}
        return f"/public/events/{slug}?{urlencode(kept)}"

    return link


def _answer(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    language: str,
    etag: str,
) -> Response[Any]:
    headers, unchanged = conditional(request, etag, vary_headers(request))
    if unchanged is not None:
        return unchanged
    context = {**context, **_language_context(request, language)}
    return Template(template, context=context, headers=headers)


def _language_context(
    request: Request[Any, Any, Any], language: str, link: Any = None
) -> dict[str, Any]:
    """``_``, the page's language, and the links to this very page in each language.

    Made from what the page shows, not from the request's query: a page kept by its
    ETag must not hand one visitor's stray parameters to the next.
    """
    switch = {
        other: link(lang=other) if link else f"{request.url.path}?{PARAMETER}={other}"
        for other in LANGUAGES
    }
    kept = f"?{PARAMETER}={language}" if _asked(request) else ""
    return {"_": translator(language), "language": language, "switch": switch, "lang_query": kept}


def not_found(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Litestar's 404 for an unknown address: the spectators' 404 page under /public.

    Anywhere else (the JSON APIs, the dashboard) Litestar's own JSON answer, unchanged.
    """
    path = request.url.path
    if path == "/public" or path.startswith("/public/"):
        return _missing(request, pick_language(request), None, None, [])
    return create_exception_response(request, error)


def _missing(
    request: Request[Any, Any, Any],
    language: str,
    slug: str | None,
    race: str | None,
    races: list[str],
) -> Response[Any]:
    """A page saying what was not found and where to go instead (404, cacheable)."""
    context = {"slug": slug, "race": race, "races": races, "refresh": None}

    def link(lang: str) -> str:  # the same page in another language, race kept
        parameters = {"race": race, "lang": lang} if race else {"lang": lang}
        return f"{request.url.path}?{urlencode(parameters)}"

    context.update(_language_context(request, language, link))
    shown = (request.url.path, slug or "", race or "", repr(races))
    etag = page_etag("missing", language, str(_asked(request)), *shown)
    headers = caching_headers(etag, vary_headers(request))
    return Template(
        "public_missing.html", context=context, status_code=HTTP_404_NOT_FOUND, headers=headers
    )
