"""/api/v1/public: read-only live results, cacheable by a CDN."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from central.services.public import PublicResultsService
from edge.domain.clock import from_us

CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"


class PublicController(Controller):
    """Results for the public."""

    path = "/api/v1/public/events/{slug:str}"
    tags = ["public"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/results")
    async def results(
        self,
        slug: FromPath[str],
        race: FromQuery[str],
        request: Request[Any, Any, Any],
        public: NamedDependency[PublicResultsService],
    ) -> Response[Any]:
        """The race's latest results (same columns as the box's export); 304 when unchanged."""
        found = await public.results(slug, race)
        headers = {"ETag": f'"{found.etag}"', "Cache-Control": CACHE_CONTROL}
        if request.headers.get("if-none-match", "").strip() in (f'"{found.etag}"', found.etag):
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        body = {
            "event": found.event,
            "race": found.race,
            "updated": from_us(found.updated_us).isoformat(),
            **found.document,
        }
        return Response(body, headers=headers)
