"""/api/v1/backups: a box uploads its snapshots in resumable chunks (device token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromHeader, FromPath, JSONBody, QueryParameter

from central.backups.service import BackupService, UploadState
from central.services.devices import DeviceService
from edge.store.database import SQL_INT_MAX
from edge.web.openapi import BINARY, raw_body

MAX_CHUNK_BYTES = 4 * 1024 * 1024
"""Largest backup chunk accepted: boxes send 1 MiB (edge.backup.upload.CHUNK_BYTES)."""


@dataclass
class BackupIn:
    """The file about to be uploaded: its size, sha256 and the last outbox seq it holds."""

    size: int
    sha256: str
    seq: int = 0


class BackupController(Controller):
    """Backup uploads of the calling device."""

    path = "/api/v1/backups"
    tags = ["backups"]  # noqa: RUF012 (Litestar reads a class attribute)

    @post("/", status_code=200)
    async def start(
        self,
        data: JSONBody[BackupIn],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        backups: NamedDependency[BackupService],
    ) -> UploadState:
        """Start an upload, or get the unfinished one of the same file to resume."""
        device = await devices.authenticate(authorization)
        state = await backups.start(device, data.size, data.sha256, data.seq)
        return state

    @put(
        "/{backup_id:str}",
        request_max_body_size=MAX_CHUNK_BYTES,
        operation_class=raw_body(BINARY, "the chunk's bytes"),
    )
    async def append(
        self,
        backup_id: FromPath[str],
        offset: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)],
        request: Request[Any, Any, Any],
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        backups: NamedDependency[BackupService],
    ) -> UploadState:
        """Append a chunk at ``offset``: 409 with ``expected_offset`` when out of place.

        The device token is checked before the body is read; 413 beyond MAX_CHUNK_BYTES.
        """
        device = await devices.authenticate(authorization)
        state = await backups.append(device, backup_id, offset, await request.body())
        return state

    @get("/latest")
    async def latest(
        self,
        authorization: FromHeader[str | None],
        devices: NamedDependency[DeviceService],
        backups: NamedDependency[BackupService],
    ) -> UploadState:
        """The calling device's newest complete backup."""
        device = await devices.authenticate(authorization)
        return await backups.latest(device.id)
