"""/api/v1/public: read-only live results, cacheable by a CDN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from central.services.public import PublicResultsService
from edge.domain.clock import from_us

CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"


@dataclass
class PublicResults:
    """A race's latest results: the box's export columns and one row per entrant."""

    event: str
    race: str
    updated: str  # ISO 8601 instant the MASTER published them
    columns: list[str]
    rows: list[dict[str, Any]]


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
    ) -> Response[PublicResults | None]:
        """The race's latest results (same columns as the box's export); 304 when unchanged."""
        found = await public.results(slug, race)
        headers = {"ETag": f'"{found.etag}"', "Cache-Control": CACHE_CONTROL}
        if request.headers.get("if-none-match", "").strip() in (f'"{found.etag}"', found.etag):
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        updated = from_us(found.updated_us).isoformat()
        document = found.document  # what publish() stored: only columns and rows
        body = PublicResults(
            found.event, found.race, updated, document["columns"], document["rows"]
        )
        return Response(body, headers=headers)
