"""/api/v1/archives: a box uploads an event's sealed archive, then asks central to confirm it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromHeader, FromPath, JSONBody, QueryParameter

from central.backups.archives import ArchiveService, ArchiveState
from central.services.devices import DeviceService
from central.web.api.backups import MAX_CHUNK_BYTES
from edge.store.database import SQL_INT_MAX
from edge.web.openapi import BINARY, raw_body


@dataclass
class ArchiveIn:
    """The sealed archive about to be uploaded: its size, sha256 and event."""

    size: int
    sha256: str
    event: str


class ArchiveController(Controller):
    """Event archives of the calling device."""

    path = "/api/v1/archives"
    tags = ["backups"]  # noqa: RUF012 (Litestar reads a class attribute)

    @post("/", status_code=200)
    async def start(
        self,
        data: JSONBody[ArchiveIn],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        archives: NamedDependency[ArchiveService],
    ) -> ArchiveState:
        """Start an archive's upload, or get the unfinished one of the same file to resume."""
        device = await devices.authenticate(authorization)
        return await archives.start(device, data.size, data.sha256, data.event)

    @put(
        "/{archive_id:str}",
        request_max_body_size=MAX_CHUNK_BYTES,
        operation_class=raw_body(BINARY, "the chunk's bytes"),
    )
    async def append(
        self,
        archive_id: FromPath[str],
        offset: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)],
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        archives: NamedDependency[ArchiveService],
    ) -> ArchiveState:
        """Append a chunk at ``offset`` (409 with ``expected_offset`` when out of place)."""
        device = await devices.authenticate(authorization)
        return await archives.append(device, archive_id, offset, await request.body())

    @get("/{archive_id:str}")
    async def confirm(
        self,
        archive_id: FromPath[str],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        archives: NamedDependency[ArchiveService],
    ) -> ArchiveState:
        """Central reads its copy back now: ``confirmed`` when its sha256 and header hold."""
        device = await devices.authenticate(authorization)
        return await archives.confirm(device, archive_id)
