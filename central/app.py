"""The central web application: ``create_app(settings) -> Litestar``."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

from litestar import Litestar, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from central.backups.service import BackupService
from central.backups.store import FileSystemBackupStore
from central.errors import CentralError
from central.services.devices import DeviceService
from central.services.enrollment import EnrollmentService
from central.services.replication import ReplicationService
from central.settings import CentralSettings, get_settings
from central.store import migrate
from central.store.database import CentralDatabase
from central.web.api.backups import BackupController
from central.web.api.enroll import EnrollController
from central.web.api.sync import SyncController
from central.web.errors import central_error_handler

VERSION = version("chronoedge")


@get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "version": VERSION}


def create_app(settings: CentralSettings | None = None) -> Litestar:
    """Build the central app on the database named in ``settings`` (migrated at start-up)."""
    settings = settings or get_settings()
    database = CentralDatabase(settings.database_url)
    enrollment = EnrollmentService(database, settings)
    devices = DeviceService(database)
    replication = ReplicationService(database)
    backups = BackupService(
        database, FileSystemBackupStore(settings.data_dir / "backups"), settings.backups_keep
    )

    async def migrate_database() -> None:
        await asyncio.to_thread(migrate.upgrade, settings.database_url)

    return Litestar(
        route_handlers=[healthz, EnrollController, SyncController, BackupController],
        dependencies={
            "central_db": Provide(lambda: database, sync_to_thread=False),
            "enrollment": Provide(lambda: enrollment, sync_to_thread=False),
            "devices": Provide(lambda: devices, sync_to_thread=False),
            "replication": Provide(lambda: replication, sync_to_thread=False),
            "backups": Provide(lambda: backups, sync_to_thread=False),
        },
        exception_handlers={CentralError: central_error_handler},
        on_startup=[migrate_database],
        on_shutdown=[database.close],
        openapi_config=OpenAPIConfig(
            title="ChronoEdge central API", version=VERSION, path="/schema"
        ),
    )
