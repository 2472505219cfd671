"""/api/v1/exports: start an export job, list recent exports, download a finished file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict, cast

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import File

from edge.services.exports import ExportFile, ExportRequest, ExportService, recent_exports
from edge.services.jobs import JobService
from edge.settings import Settings
from edge.store.database import Database


def provide_exports(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> ExportService:
    """Dependency: the export service on the box's exports folder."""
    return ExportService(db, settings.paths.exports_folder)


@dataclass
class ExportStarted:
    """The export job queued and the file it will make."""

    id: int
    file: str


class ExportJob(TypedDict):
    """An export job: what it makes, how far it is, its file once done, its errors."""

    id: int
    state: str
    progress: int
    stage: str
    request: dict[str, Any]
    file: str | None
    errors: list[str]


@dataclass
class ExportsOverview:
    """Recent export jobs, files ready to download, whether a worker runs them."""

    worker_running: bool
    jobs: list[ExportJob]
    files: list[ExportFile]


class ExportController(Controller):
    """Result sheets and certificates made by the worker."""

    path = "/api/v1/exports"
    tags = ["exports"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"exports": Provide(provide_exports, sync_to_thread=False)}  # noqa: RUF012

    @post("/")
    async def start(
        self,
        data: JSONBody[dict[str, Any]],
        exports: NamedDependency[ExportService],
        jobs: NamedDependency[JobService],
    ) -> ExportStarted:
        """Queue an export (201): ``event``, ``race``, ``kind``, ``format``, ``language``."""
        request = ExportRequest.from_payload(data)
        job_id = await exports.start(request, jobs)
        return ExportStarted(job_id, request.file_name())

    @get("/")
    async def overview(
        self, exports: NamedDependency[ExportService], jobs: NamedDependency[JobService]
    ) -> ExportsOverview:
        """Recent export jobs, files ready to download, and whether a worker is running."""
        stats = await jobs.admin.stats()
        recent = cast(list[ExportJob], await recent_exports(jobs))  # plain dicts of that shape
        return ExportsOverview(stats["worker"]["running"], recent, exports.files())

    @get("/files/{name:str}")
    async def download(self, name: FromPath[str], exports: NamedDependency[ExportService]) -> File:
        """A finished export file, as an attachment under its own name."""
        path = exports.path_of(name)
        return File(
            path=path,
            filename=path.name,
            media_type=exports.media_type(path.name),
            content_disposition_type="attachment",
        )
