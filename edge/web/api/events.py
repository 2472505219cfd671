"""/api/v1/events: load an event file, list events, show one."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from edge.services.events import EventService, LoadReport
from edge.store.database import Database
from edge.web.api.schemas import EventDetail, EventSummary, RaceOut, event_detail
from edge.web.openapi import EVENT_EXAMPLE, YAML, raw_body


def provide_events(db: NamedDependency[Database]) -> EventService:
    """Dependency: the event service."""
    return EventService(db)


class EventController(Controller):
    """Events and their definitions."""

    path = "/api/v1/events"
    tags = ["events"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"events": Provide(provide_events, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def list_events(self, events: NamedDependency[EventService]) -> list[EventSummary]:
        """List the events on this box."""
        return [
            EventSummary(slug=e.slug, name=e.name, date=e.date, timezone=e.timezone)
            for e in await events.list_events()
        ]

    @post(
        "/",
        summary="Create or update an event from its YAML file (request body)",
        operation_class=raw_body(YAML, "an event file (docs/imports.md)", EVENT_EXAMPLE),
    )
    async def load_event(
        self, request: Request[Any, Any, Any], events: NamedDependency[EventService]
    ) -> LoadReport:
        """Create or update an event from the YAML text in the body; reloading changes nothing."""
        return await events.load_text(await request.body(), "request body")

    @get("/{slug:str}")
    async def get_event(
        self, slug: FromPath[str], events: NamedDependency[EventService]
    ) -> EventDetail:
        """Show an event with its timing points, races, waves and categories."""
        return event_detail(await events.overview(slug))

    @get("/{slug:str}/races")
    async def list_races(
        self, slug: FromPath[str], events: NamedDependency[EventService]
    ) -> list[RaceOut]:
        """List the races of an event."""
        return event_detail(await events.overview(slug)).races
