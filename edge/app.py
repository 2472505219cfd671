"""The edge web application: ``create_app(settings) -> Litestar``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from edge.errors import ChronoEdgeError
from edge.services.jobs import JobService
from edge.settings import Settings, get_settings
from edge.store import migrate
from edge.store.database import Database
from edge.web.api.entrants import EntrantController
from edge.web.api.events import EventController
from edge.web.api.ingest import IngestController
from edge.web.api.jobs import JobController
from edge.web.api.manual import ManualEntryController
from edge.web.api.passings import PassingController
from edge.web.api.readers import ReaderController
from edge.web.api.results import ResultController
from edge.web.errors import chrono_error_handler
from edge.web.pages.jobs import JobPages
from edge.web.pages.language import LanguagePages

VERSION = "0.1.0"
TEMPLATES = Path(__file__).with_name("web") / "templates"
STATIC = Path(__file__).with_name("web") / "static"


@get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "version": VERSION}


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Litestar app of a box on the database named in ``settings``."""
    settings = settings or get_settings()
    database = Database(settings.db)

    def migrate_database() -> None:
        migrate.upgrade(settings.db)

    def provide_db() -> Database:
        return database

    def provide_settings() -> Settings:
        return settings

    jobs = JobService(settings.db)

    def provide_jobs() -> JobService:
        return jobs

    return Litestar(
        route_handlers=[
            healthz,
            EventController,
            EntrantController,
            PassingController,
            ManualEntryController,
            ReaderController,
            ResultController,
            IngestController,
            JobController,
            JobPages,
            LanguagePages,
            create_static_files_router(path="/static", directories=[STATIC]),
        ],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "jobs": Provide(provide_jobs, sync_to_thread=False),
        },
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        exception_handlers={ChronoEdgeError: chrono_error_handler},
        on_startup=[migrate_database],
        on_shutdown=[database.close, jobs.close],
        openapi_config=OpenAPIConfig(title="ChronoEdge box API", version=VERSION, path="/schema"),
    )
