"""The central web application: ``create_app(settings) -> Litestar``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from litestar import Litestar, get
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

import edge.web
from central.backups.archives import ArchiveService
from central.backups.service import BackupService
from central.backups.store import FileSystemBackupStore
from central.services.alarms import AlarmService, alarm_channels
from central.services.devices import DeviceService
from central.services.enrollment import EnrollmentService
from central.services.fleet import FleetService
from central.services.notify import AlarmNotifier, alarm_pusher
from central.services.public import PublicResultsService
from central.services.replication import ReplicationService
from central.services.runners import RunnerService
from central.services.sessions import session_pruner
from central.services.signing import metadata_refresher
from central.services.updates import UpdateService
from central.services.users import UserService
from central.settings import CentralSettings, get_settings
from central.store import migrate
from central.store.database import CentralDatabase
from central.vpn.service import HubService
from central.web.api.archives import ArchiveController
from central.web.api.backups import BackupController
from central.web.api.enroll import EnrollController
from central.web.api.fleet import FleetController
from central.web.api.ota import OtaController
from central.web.api.public import PublicController
from central.web.api.restore import RestoreController
from central.web.api.sync import SyncController
from central.web.auth import SESSION_MAX_AGE_S, LoginThrottle
from central.web.pages import PageController
from central.web.public_pages import PublicPages, not_found
from central.web.repository import RepositoryController
from central.web.runner import RunnerController
from edge.auth.sessions import SessionFiles
from edge.web.errors import EXCEPTION_HANDLERS
from edge.web.forgery import refuse_forgery
from edge.web.headers import add_security_headers, use_script_nonce
from edge.web.sessions import login_sessions

VERSION = version("chronoedge")
TEMPLATES = Path(__file__).with_name("web") / "templates"
BOX_TEMPLATES = Path(edge.web.__file__).with_name("templates")
"""The box's templates, which central's name ``edge/...`` (the results' status badge)."""

log = logging.getLogger(__name__)


@dataclass
class Health:
    """The process answers, and which version it runs."""

    status: str
    version: str


@get("/healthz", tags=["health"])
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health("ok", VERSION)


def configure_templates(engine: JinjaTemplateEngine) -> None:
    """Central's templates, the box's under ``edge/``, and the script nonce for both."""
    use_script_nonce(engine)
    box = PrefixLoader({"edge": FileSystemLoader(BOX_TEMPLATES)})
    engine.engine.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), box])


def create_app(settings: CentralSettings | None = None) -> Litestar:
    """Build the central app on the database named in ``settings`` (migrated at start-up)."""
    settings = settings or get_settings()
    database = CentralDatabase(settings.database_url)
    hub = HubService(database, settings)
    enrollment = EnrollmentService(database, settings, hub)
    devices = DeviceService(database)
    replication = ReplicationService(database)
    users = UserService(database)
    channels = alarm_channels(settings.alarm_webhooks, settings.alarm_mail_to, settings.smtp_host)
    fleet = FleetService(database, hub, channels)
    alarms = AlarmService(database)
    pusher = alarm_pusher(AlarmNotifier(database, settings), settings.alarm_push_every_s)
    public = PublicResultsService(database)
    runners = RunnerService(public)
    throttle = LoginThrottle(database.engine)
    updates = UpdateService(database, settings.ota_repo)
    refresher = metadata_refresher(settings.ota_repo, settings.ota_refresh_s)
    sessions = SessionFiles(settings.data_dir / "sessions")
    pruner = session_pruner(sessions, settings.sessions_prune_s)
    backups = BackupService(
        database,
        FileSystemBackupStore(settings.data_dir / "backups"),
        settings.backups_keep,
        settings.backup_recipient,
    )
    archives = ArchiveService(backups)

    async def migrate_database() -> None:
        await asyncio.to_thread(migrate.upgrade, settings.database_url)

    async def seal_stored_backups() -> None:
        # Backups stored before the fleet key was set are sealed now (docs/operations.md).
        if settings.backup_recipient:
            sealed = await backups.seal_stored()
            if sealed:
                log.warning("sealed %d stored backups with the fleet backup key", sealed)

    return Litestar(
        route_handlers=[
            healthz,
            EnrollController,
            SyncController,
            BackupController,
            ArchiveController,
            FleetController,
            PublicController,
            PageController,
            RunnerController,
            PublicPages,
            RestoreController,
            OtaController,
            RepositoryController,
        ],
        guards=[refuse_forgery],  # writes from other origins, not-JSON to JSON APIs
        middleware=[login_sessions(SESSION_MAX_AGE_S, samesite="strict").middleware],
        stores={"sessions": sessions},
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure_templates
        ),
        before_send=[add_security_headers],  # CSP, no framing, nosniff, Referrer-Policy
        dependencies={
            "central_db": Provide(lambda: database, sync_to_thread=False),
            "enrollment": Provide(lambda: enrollment, sync_to_thread=False),
            "devices": Provide(lambda: devices, sync_to_thread=False),
            "replication": Provide(lambda: replication, sync_to_thread=False),
            "backups": Provide(lambda: backups, sync_to_thread=False),
            "archives": Provide(lambda: archives, sync_to_thread=False),
            "users": Provide(lambda: users, sync_to_thread=False),
            "fleet": Provide(lambda: fleet, sync_to_thread=False),
            "alarms": Provide(lambda: alarms, sync_to_thread=False),
            "public": Provide(lambda: public, sync_to_thread=False),
            "runners": Provide(lambda: runners, sync_to_thread=False),
            "throttle": Provide(lambda: throttle, sync_to_thread=False),
            "updates": Provide(lambda: updates, sync_to_thread=False),
        },
        # Central's errors derive from ChronoEdgeError; an unknown /public address gets the
        # spectators' 404 page, not Litestar's JSON.
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: not_found},
        request_max_body_size=settings.request_max_bytes,
        on_startup=[
            migrate_database,
            seal_stored_backups,
            refresher.start,
            pruner.start,
            pusher.start,
        ],
        on_shutdown=[refresher.stop, pruner.stop, pusher.stop, database.close],
        openapi_config=OpenAPIConfig(
            title="ChronoEdge central API", version=VERSION, path="/schema"
        ),
    )
