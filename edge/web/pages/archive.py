"""``/archive``: after the event, archive it to central and purge it from the box."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from edge.services.archives import ArchiveService
from edge.services.exports import pick_event
from edge.settings import Settings
from edge.store.database import Database
from edge.web.pages.render import render


class ArchivePages(Controller):
    """The archive page."""

    include_in_schema = False

    @get("/archive")
    async def archive_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        event: FromQuery[str | None] = None,
    ) -> Template:
        """The event's archive state, the "Archive the event" and "Purge" buttons."""
        chosen = await pick_event(db, settings.paths.role_file, event)
        archives = ArchiveService(db, settings.paths, settings.backup_recipient)
        context = {
            "event": chosen,
            "archive": await archives.latest(chosen.slug) if chosen else None,
            "key_set": bool(settings.backup_recipient.strip()),
        }
        return render(request, "archive.html", context)
