"""The edge web application: ``create_app(settings) -> Litestar``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from edge.auth.limiter import LastingLimiter
from edge.domain import FAILED_ATTEMPT
from edge.jobs.box import box_registry
from edge.services.admin import AdminService
from edge.services.boxrole import Listening, RoleService
from edge.services.jobs import JobService
from edge.services.results_keeper import ResultsKeeper
from edge.settings import Settings, get_settings
from edge.store import migrate
from edge.store.database import Database
from edge.web.api.alarms import AlarmController
from edge.web.api.archives import ArchiveController
from edge.web.api.arrivals import ArrivalController
from edge.web.api.checkins import CheckinController
from edge.web.api.clock import ClockController
from edge.web.api.corrections import CorrectionController
from edge.web.api.entrants import EntrantController
from edge.web.api.events import EventController
from edge.web.api.exports import ExportController
from edge.web.api.ingest import IngestController
from edge.web.api.jobs import JobController
from edge.web.api.manual import ManualEntryController
from edge.web.api.passing_stream import PassingStreamController
from edge.web.api.passings import PassingController
from edge.web.api.readers import ReaderController
from edge.web.api.results import ResultController
from edge.web.api.role import RoleController
from edge.web.api.setup import SetupController
from edge.web.api.signoff import SignoffController
from edge.web.auth import (
    PUBLIC,
    LoginRequired,
    login_guard,
    session_config,
    session_store,
)
from edge.web.errors import EXCEPTION_HANDLERS, login_required_handler
from edge.web.forgery import refuse_forgery
from edge.web.headers import add_security_headers, use_script_nonce
from edge.web.pages.archive import ArchivePages
from edge.web.pages.checkin import CheckinPages
from edge.web.pages.clock import ClockPages
from edge.web.pages.console import ConsolePages
from edge.web.pages.entrants import EntrantPages
from edge.web.pages.exports import ExportPages
from edge.web.pages.jobs import JobPages
from edge.web.pages.language import LanguagePages
from edge.web.pages.login import LoginPages
from edge.web.pages.results import ResultPages
from edge.web.pages.screens import ScreenPages
from edge.web.pages.setup import SetupPages
from edge.web.streams import StreamSlots, stream_limits

VERSION = version("chronoedge")
"""The installed release (what /healthz reports: an update's health gate checks it)."""
TEMPLATES = Path(__file__).with_name("web") / "templates"
STATIC = Path(__file__).with_name("web") / "static"
KEY_FAILURES, KEY_WINDOW_S = 30, 300.0
"""Wrong event keys an address may send in five minutes: a SLAVE typed wrong retries
with backoff and stays under it; a guesser gets 30 tries per 5 minutes."""


@dataclass
class Health:
    """The process answers, and which version it runs."""

    status: str
    version: str


@get("/healthz", tags=["health"], opt=PUBLIC)
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health("ok", VERSION)


def create_app(settings: Settings | None = None, *, keep_results: bool = False) -> Litestar:
    """Build the Litestar app of a box on the database named in ``settings``.

    ``keep_results``: on the MASTER, write the live-results documents from the races the
    app keeps in memory (``chrono-edge serve`` does; edge.services.results_keeper).
    """
    settings = settings or get_settings()
    paths = settings.paths
    database = Database(paths.database)

    def migrate_database() -> None:
        migrate.upgrade_unless_full(paths.database)  # a full disk: pages answer 503 till room

    def provide_db() -> Database:
        return database

    def provide_settings() -> Settings:
        return settings

    jobs = JobService(paths.database, box_registry(settings))

    def provide_jobs() -> JobService:
        return jobs

    # Follows reader.json live and announces the MASTER on the LAN (edge.services.boxrole).
    box_role = RoleService(paths.role_file, Listening(settings.host, settings.port, VERSION))

    def provide_box_role() -> RoleService:
        return box_role

    # Claim with the setup PIN, then logins (edge.web.auth guards every handler).
    admin = AdminService(paths, settings.boot_folder, database)
    streams = StreamSlots(settings.streams_max, settings.streams_per_client)
    sessions = session_store(paths.sessions_folder)

    def provide_admin() -> AdminService:
        return admin

    # Wrong event keys on the ingest API, per address: guessing the key must not pay.
    key_attempts = LastingLimiter(
        database.engine, FAILED_ATTEMPT, "event-key", KEY_FAILURES, KEY_WINDOW_S
    )

    def provide_key_attempts() -> LastingLimiter:
        return key_attempts

    keeping, stop_keeping = [], []
    if keep_results:
        keeper = ResultsKeeper(
            database,
            paths.role_file,
            paths.cache_folder / "results",
            settings.results_cache_every_s,
        )
        keeping, stop_keeping = [keeper.start], [keeper.close]

    return Litestar(
        route_handlers=[
            healthz,
            EventController,
            # CSV imports take bigger bodies than the rest (settings.request_max_bytes).
            Router(
                path="/",
                route_handlers=[EntrantController, PassingController, EntrantPages],
                request_max_body_size=settings.import_max_bytes,
            ),
            ManualEntryController,
            CorrectionController,
            CheckinController,
            PassingStreamController,
            ConsolePages,
            ClockPages,
            ReaderController,
            AlarmController,
            ResultController,
            SignoffController,
            Router(path="/", route_handlers=[IngestController, LanguagePages], opt=PUBLIC),
            RoleController,
            ClockController,
            JobController,
            ExportController,
            ArchiveController,
            ExportPages,
            ArchivePages,
            JobPages,
            ArrivalController,
            ResultPages,
            ScreenPages,
            CheckinPages,
            SetupController,
            SetupPages,
            LoginPages,
            create_static_files_router(path="/static", directories=[STATIC], opt=PUBLIC),
        ],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "jobs": Provide(provide_jobs, sync_to_thread=False),
            "admin": Provide(provide_admin, sync_to_thread=False),
            "key_attempts": Provide(provide_key_attempts, sync_to_thread=False),
            "box_role": Provide(provide_box_role, sync_to_thread=False),
        },
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=use_script_nonce
        ),
        before_send=[add_security_headers],  # CSP, no framing, nosniff, Referrer-Policy
        exception_handlers={**EXCEPTION_HANDLERS, LoginRequired: login_required_handler},
        guards=[refuse_forgery, login_guard(admin)],  # writes from other origins fail first
        middleware=[session_config().middleware, stream_limits(streams)],
        request_max_body_size=settings.request_max_bytes,
        stores={"sessions": sessions},
        on_startup=[migrate_database, sessions.delete_expired, box_role.start, *keeping],
        state=State({"box_role": box_role}),  # pages show a SLAVE's or unconfigured box's role
        on_shutdown=[*stop_keeping, database.close, jobs.close, box_role.close],
        openapi_config=OpenAPIConfig(title="ChronoEdge box API", version=VERSION, path="/schema"),
    )
