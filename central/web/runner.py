"""Spectators' runner pages: one runner, a few followed runners, an embeddable widget.

Public and cacheable: no session, no cookie, an ETag made from the race's published
version (a 304 costs no rendering) and the event pages' ``Cache-Control`` (both from
``central.web.page_cache``); the language comes from ``?lang=`` or the browser
(``central.web.language``). The pages update themselves by polling their own URL
(``static/runner.js``): a CDN in front answers most of those with a 304.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from central.errors import NotFound
from central.services.runners import RaceTable, Runner, RunnerService
from central.web.language import PARAMETER, from_query, pick_language, translator, vary_headers
from central.web.page_cache import CACHE_CONTROL, conditional, page_etag
from edge.clock import format_duration
from edge.web.headers import content_security_policy

POLL_S = 10
"""How often an open runner, follow or widget page asks for its own URL again."""
MAX_FOLLOWED = 20
"""Bibs a follow page shows at most (the rest of the list is ignored)."""
WIDGET_STYLES = ("light", "dark")
WIDGET_ROWS = 10
SCRIPT = Path(__file__).with_name("static") / "runner.js"
WIDGET_POLICY = content_security_policy(None).replace("frame-ancestors 'none'", "frame-ancestors *")
"""The widget alone may be framed, by any site (an organiser pastes it into theirs)."""
STATUS_LABELS = {
    "FIN": "Finished",
    "ONC": "On course",
    "DNF": "Did not finish",
    "DNS": "Did not start",
    "DSQ": "Disqualified",
}


def _page_context(request: Request[Any, Any, Any], slug: str, name: str) -> dict[str, Any]:
    """What every spectator page's template uses: the language, ``_``, links that keep it.

    ``event`` is the slug (addresses), ``event_name`` what people read.
    """
    language = pick_language(request)
    chosen = from_query(request)
    suffix = f"{PARAMETER}={chosen}" if chosen else ""
    return {
        "language": language,
        "_": translator(language),
        "event": slug,
        "event_name": name,
        "lang_query": suffix,
        "statuses": STATUS_LABELS,
        "poll_s": POLL_S,
        "format_duration": format_duration,
    }


class RunnerController(Controller):
    """The runner page, the follow page, the widget and their script."""

    include_in_schema = False
    opt = {"skip_session": True}  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/public/assets/runner.js", media_type="text/javascript")
    async def script(self) -> Response[bytes]:
        """The pages' script (polling, follow list): same-origin, so no nonce in the HTML."""
        body = SCRIPT.read_bytes()
        etag = hashlib.sha256(body).hexdigest()[:32]
        return Response(body, headers={"ETag": f'"{etag}"', "Cache-Control": "public, max-age=300"})

    @get("/public/events/{slug:str}/runners/{bib:str}")
    async def runner(
        self,
        slug: FromPath[str],
        bib: FromPath[str],
        request: Request[Any, Any, Any],
        runners: NamedDependency[RunnerService],
    ) -> Response[Any]:
        """A runner: status, splits with pace and rank, the predicted finish while on course."""
        name = await runners.event_name(slug)
        context = _page_context(request, slug, name)
        try:
            found = await runners.runner(slug, bib)
        except NotFound:
            return Template(
                "runner_missing.html",
                context={**context, "bib": bib},
                status_code=404,
                headers={"Cache-Control": CACHE_CONTROL, **vary_headers(request)},
            )
        etag = page_etag(found.version, bib, context["language"], name)
        headers, unchanged = conditional(request, etag, vary_headers(request))
        if unchanged is not None:
            return unchanged
        return Template("runner.html", context={**context, "runner": found}, headers=headers)

    @get("/public/events/{slug:str}/follow")
    async def follow(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        runners: NamedDependency[RunnerService],
        bibs: FromQuery[str] = "",
    ) -> Response[Any]:
        """The runners of ``?bibs=1,2,3`` (the browser's follow list when it has none)."""
        name = await runners.event_name(slug)
        context = _page_context(request, slug, name)
        wanted = list(dict.fromkeys(b.strip() for b in bibs.split(",") if b.strip()))
        found: list[Runner | str] = await runners.runners(slug, wanted[:MAX_FOLLOWED])
        versions = [r.version if isinstance(r, Runner) else "-" for r in found]
        etag = page_etag("follow", ",".join(wanted), *versions, context["language"], name)
        headers, unchanged = conditional(request, etag, vary_headers(request))
        if unchanged is not None:
            return unchanged
        context = {**context, "followed": found, "bibs": wanted[:MAX_FOLLOWED]}
        return Template("follow.html", context=context, headers=headers)

    @get("/public/events/{slug:str}/widget")
    async def widget(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        runners: NamedDependency[RunnerService],
        race: FromQuery[str] = "",
        style: FromQuery[str] = "light",
    ) -> Response[Any]:
        """A race's leaders, small enough for an iframe on the organiser's site."""
        name = await runners.event_name(slug)
        context = _page_context(request, slug, name)
        framing = {"Content-Security-Policy": WIDGET_POLICY}
        races = await runners.races(slug)
        problem = None
        if style not in WIDGET_STYLES:
            problem = context["_"]("Unknown style {style}: use one of {styles}.", style=style,
                                   styles=", ".join(WIDGET_STYLES))  # fmt: skip
        elif not races:
            problem = context["_"]("No results are published for this event yet.")
        elif not race and len(races) == 1:
            race = races[0]
        elif race not in races:
            problem = context["_"]("Give the race in the address: ?race= one of {races}.",
                                   races=", ".join(races))  # fmt: skip
        if problem is not None:
            context = {**context, "problem": problem, "style": "light", "table": None}
            status = 404 if not races else 400
            return Template("widget.html", context=context, status_code=status, headers=framing)
        table = await runners.table(slug, race)
        etag = page_etag("widget", table.etag, style, context["language"], name)
        headers, unchanged = conditional(request, etag, {**vary_headers(request), **framing})
        if unchanged is not None:
            return unchanged
        context = {**context, "table": table, "leaders": leaders(table), "style": style,
                   "race": race, "problem": None}  # fmt: skip
        return Template("widget.html", context=context, headers=headers)


def leaders(table: RaceTable) -> list[dict[str, Any]]:
    """The race's first finishers in rank order (at most WIDGET_ROWS)."""
    ranked = [row for row in table.rows.values() if isinstance(row.get("rank"), int)]
    return sorted(ranked, key=lambda row: int(row["rank"]))[:WIDGET_ROWS]
