"""/exports: start result sheets and certificates, follow their progress, download them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Template

from edge.services.events import EventService
from edge.services.exports import FORMATS, ExportService, pick_event, recent_exports
from edge.services.jobs import JobService
from edge.settings import Settings
from edge.store.database import Database
from edge.web.api.exports import provide_exports
from edge.web.pages.render import render


class ExportPages(Controller):
    """The exports page."""

    include_in_schema = False
    dependencies = {"exports": Provide(provide_exports, sync_to_thread=False)}  # noqa: RUF012

    @get("/exports")
    async def exports_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        exports: NamedDependency[ExportService],
        jobs: NamedDependency[JobService],
        event: FromQuery[str | None] = None,
    ) -> Template:
        """Choose race, kind and format; running exports show live progress bars."""
        chosen = await pick_event(db, settings.paths.role_file, event)
        races = (await EventService(db).overview(chosen.slug)).races if chosen else []
        context = {
            "event": chosen,
            "races": [r.race for r in races],
            "formats": FORMATS,
            "worker_running": (await jobs.admin.stats())["worker"]["running"],
            "exports": await recent_exports(jobs),
            "files": exports.files(),
        }
        return render(request, "exports.html", context)
