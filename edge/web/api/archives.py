"""/api/v1/archives/{event}: archive an event to central, see where it stands, purge it."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from edge.errors import InvalidInput, NotFound, Problem
from edge.services.archives import ArchiveService, ArchiveView, PurgeReport
from edge.services.jobs import JobService
from edge.settings import Settings
from edge.store.database import Database


def provide_archives(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> ArchiveService:
    """Dependency: archives of the box's events, sealed with the fleet's recipient."""
    return ArchiveService(db, settings.paths, settings.backup_recipient)


@dataclass
class ArchiveIn:
    """Who archives the event (kept with the archive)."""

    by: str = "operator"


@dataclass
class PurgeIn:
    """The event's slug typed again: a purge cannot be clicked by mistake."""

    confirm: str


class ArchiveController(Controller):
    """Event archives (sealed, confirmed by central) and purges."""

    path = "/api/v1/archives/{slug:str}"
    tags = ["archives"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"archives": Provide(provide_archives, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def latest(
        self, slug: FromPath[str], archives: NamedDependency[ArchiveService]
    ) -> ArchiveView:
        """The event's newest archive (404: never archived)."""
        view = await archives.latest(slug)
        if view is None:
            raise NotFound(f"{slug} was never archived on this box")
        return view

    @post("/")
    async def start(
        self,
        slug: FromPath[str],
        data: JSONBody[ArchiveIn],
        archives: NamedDependency[ArchiveService],
        jobs: NamedDependency[JobService],
    ) -> ArchiveView:
        """Archive the event (201): the worker builds, seals, uploads; central confirms."""
        by = data.by.strip() or "operator"
        return await archives.start(slug, by[:100], jobs)

    @post("/purge", status_code=200)
    async def purge(
        self,
        slug: FromPath[str],
        data: JSONBody[PurgeIn],
        archives: NamedDependency[ArchiveService],
    ) -> PurgeReport:
        """Delete the event from the box, only if central confirms its archive now."""
        if data.confirm.strip() != slug:
            problem = Problem("confirm", f"type the event's slug, {slug}, to purge it")
            raise InvalidInput([problem], "the purge was not confirmed; nothing was deleted")
        return await archives.purge(slug)
