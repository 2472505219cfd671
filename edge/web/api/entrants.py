"""/api/v1/events/{slug}/entrants: list and import entrants."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from edge.domain import ManualStatus
from edge.services.corrections import operator
from edge.services.entrants import EntrantService, ImportReport
from edge.store.database import Database
from edge.web.api.schemas import EntrantOut, StatusIn, entrant_out
from edge.web.openapi import CSV, ENTRANTS_EXAMPLE, raw_body


def provide_entrants(db: NamedDependency[Database]) -> EntrantService:
    """Dependency: the entrant service."""
    return EntrantService(db)


class EntrantController(Controller):
    """Entrants of an event."""

    path = "/api/v1/events/{slug:str}/entrants"
    tags = ["entrants"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"entrants": Provide(provide_entrants, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def list_entrants(
        self,
        slug: FromPath[str],
        entrants: NamedDependency[EntrantService],
        race: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> list[EntrantOut]:
        """List entrants, optionally of one race or matching a bib, name or club."""
        found = await entrants.list_entrants(slug, race=race, search=q)
        return [entrant_out(e) for e in found]

    @put("/{bib:str}/status")
    async def set_status(
        self,
        slug: FromPath[str],
        bib: FromPath[str],
        data: JSONBody[StatusIn],
        entrants: NamedDependency[EntrantService],
    ) -> EntrantOut:
        """Set an entrant's status by hand (DSQ or DNF), or clear it with null."""
        status = ManualStatus(data.status) if data.status else None
        changed = await entrants.set_manual_status(
            slug, bib, status, reason=data.reason, by=operator(data.by)
        )
        return entrant_out(changed)

    @post(
        "/import",
        summary="Import entrants from the CSV file in the request body",
        operation_class=raw_body(CSV, "entrants, one a line (docs/imports.md)", ENTRANTS_EXAMPLE),
    )
    async def import_entrants(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        entrants: NamedDependency[EntrantService],
        dry_run: FromQuery[bool] = False,
        reason: FromQuery[str] = "",
        by: FromQuery[str | None] = None,
    ) -> ImportReport:
        """Create or update entrants by bib; with bad rows nothing is written (422).

        ``reason``: required once a race of the event is signed off (400 without).
        """
        report = await entrants.import_csv(
            slug, await request.body(), dry_run=dry_run, reason=reason, by=operator(by)
        )
        return report
