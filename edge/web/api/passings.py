"""/api/v1/events/{slug}/passings: list, add and import passings."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from edge.domain import PassingMethod
from edge.domain.clock import US_PER_SECOND, to_us
from edge.errors import InvalidInput, Problem
from edge.services.corrections import operator
from edge.services.passings import NewPassing, PassingService, PassingsImportReport
from edge.settings import Settings
from edge.store.database import SQL_INT_MAX, Database
from edge.web.api.schemas import PassingAdded, PassingIn, PassingOut, passing_out
from edge.web.openapi import CSV, PASSINGS_EXAMPLE, raw_body


def provide_passings(db: NamedDependency[Database]) -> PassingService:
    """Dependency: the passing service."""
    return PassingService(db)


class PassingController(Controller):
    """Passings of an event."""

    path = "/api/v1/events/{slug:str}/passings"
    tags = ["passings"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"passings": Provide(provide_passings, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def list_passings(
        self,
        slug: FromPath[str],
        passings: NamedDependency[PassingService],
        point: FromQuery[str | None] = None,
        bib: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 1000,
    ) -> list[PassingOut]:
        """List passings, newest first."""
        found = await passings.list_passings(slug, point=point, bib=bib, limit=limit)
        return [passing_out(p, code) for p, code in found]

    @post("/")
    async def add_passing(
        self,
        slug: FromPath[str],
        data: JSONBody[PassingIn],
        passings: NamedDependency[PassingService],
    ) -> Response[PassingAdded]:
        """Record a passing by hand: 201 when added, 200 when the same one is already stored."""
        try:
            time_us = to_us(data.time)
        except ValueError as error:
            raise InvalidInput([Problem(where="time", reason=str(error))]) from error
        new = NewPassing(point=data.point, bib=data.bib, time_us=time_us)
        added = await passings.record(
            slug,
            new,
            method=PassingMethod.MANUAL,
            source="api",
            reason=data.reason,
            by=operator(data.by),
        )
        if added is None:
            return Response(PassingAdded(added=False), status_code=HTTP_200_OK)
        body = PassingAdded(added=True, passing=passing_out(added, new.point.strip().upper()))
        return Response(body, status_code=HTTP_201_CREATED)

    @post(
        "/import",
        summary="Import point,bib,time passings from the CSV request body",
        operation_class=raw_body(
            CSV, "passings: point,bib,time (docs/imports.md)", PASSINGS_EXAMPLE
        ),
    )
    async def import_passings(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        passings: NamedDependency[PassingService],
        settings: NamedDependency[Settings],
        point: FromQuery[str | None] = None,
        tolerance: Annotated[float | None, QueryParameter(ge=0, le=3600)] = None,
        reason: FromQuery[str] = "",
        by: FromQuery[str | None] = None,
    ) -> PassingsImportReport:
        """Import a backup line's passings (``point``: for a file without a point column,
        ``tolerance``: seconds, default the box's setting); the same file twice adds nothing.
        ``reason``: required once a race touched is signed off (400 without)."""
        seconds = settings.backup_tolerance_s if tolerance is None else tolerance
        report = await passings.import_csv(
            slug,
            await request.body(),
            source="api",
            point=point,
            tolerance_us=round(seconds * US_PER_SECOND),
            window_us=round(settings.backup_pair_window_s * US_PER_SECOND),
            reason=reason,
            by=operator(by),
        )
        return report
