"""/api/v1/public: read-only live results, cacheable by a CDN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery

from central.services.public import PublicResultsService
from central.web.page_cache import conditional

CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
"""The JSON API's own (the pages send ``page_cache.CACHE_CONTROL``): a client or a CDN
may use a copy 5 s, then a stale one 30 s more while it asks again."""


@dataclass
class PublicResults:
    """A race's latest results: the box's export columns and one row per entrant."""

    event: str
    race: str
    updated: str  # ISO 8601 instant the MASTER published them
    columns: list[str]
    rows: list[dict[str, Any]]
    state: Literal["provisional", "official"] | None = None  # null: the box predates sign-off
    version: int | None = None  # the results' version: official v1, provisional v2...
    # The race's split and finish points in course order ({code, kind, distance_m}); null
    # from a box older than the runner pages.
    points: list[dict[str, Any]] | None = None


class PublicController(Controller):
    """Results for the public."""

    path = "/api/v1/public/events/{slug:str}"
    tags = ["public"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get(
        "/results",
        media_type="application/json",
        # No session: the answer is the same for everybody (a CDN keeps one copy), so a
        # cookie is neither read nor set, and the request skips the session's work.
        opt={"skip_session": True},
        responses={200: ResponseSpec(data_container=PublicResults, description="The results")},
    )
    async def results(
        self,
        slug: FromPath[str],
        race: FromQuery[str],
        request: Request[Any, Any, Any],
        public: NamedDependency[PublicResultsService],
    ) -> Response[bytes]:
        """The race's latest results (same columns as the box's export); 304 when unchanged.

        The body is gzipped once per published version, when it is published (and inflated
        once for clients that take no gzip), so a crowd refreshing a race costs the server
        almost nothing.
        """
        found = await public.encoded(slug, race)
        vary = {"Vary": "Accept-Encoding"}
        headers, unchanged = conditional(request, found.etag, vary, CACHE_CONTROL)
        if unchanged is not None:
            return unchanged
        if _accepts_gzip(request.headers.get("accept-encoding", "")):
            headers["Content-Encoding"] = "gzip"
            return Response(found.gzipped, headers=headers)
        return Response(await public.plain(found), headers=headers)


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0)."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False
