"""/api/v1/devices/{id}/...: what an admin needs to rebuild a replacement box."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from central.backups.service import BackupService, UploadState, device_or_404
from central.services.enrollment import Enrollment, EnrollmentRequest, EnrollmentService
from central.services.replication import ReplicationService
from central.services.users import UserService
from central.web.auth import LoginThrottle, admin_of
from edge.store.database import SQL_INT_MAX

MAX_CHANGES_PAGE = 5000


@dataclasses.dataclass
class ReplacementIn:
    """The replacement box."""

    serial: str
    hostname: str
    version: str
    wg_public_key: str


@dataclasses.dataclass
class ChangesPage:
    """A page of a device's replicated changes, and the last seq central holds."""

    last_seq: int
    changes: list[dict[str, Any]]  # seq, table, op, row_id, payload: as the box sent them


class RestoreController(Controller):
    """Backups and replicated changes of one device (admin)."""

    path = "/api/v1/devices/{device_id:str}"
    tags = ["backups"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/backups/latest")
    async def latest_backup(
        self,
        device_id: FromPath[str],
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        backups: NamedDependency[BackupService],
    ) -> UploadState:
        """The device's newest complete backup: id, size, sha256 and the seq it holds."""
        await admin_of(request, users, throttle)
        return await backups.latest(device_id)

    @get("/backups/{backup_id:str}/file", media_type="application/gzip")
    async def backup_file(
        self,
        device_id: FromPath[str],
        backup_id: FromPath[str],
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        backups: NamedDependency[BackupService],
    ) -> Stream:
        """The compressed snapshot file."""
        await admin_of(request, users, throttle)
        state = await backups.file_of(device_id, backup_id)

        async def chunks() -> AsyncIterator[bytes]:
            iterator = iter(backups.store.read(state.id))
            while chunk := await asyncio.to_thread(next, iterator, b""):
                yield chunk

        headers = {"Content-Length": str(state.size), "X-Sha256": state.sha256}
        return Stream(chunks(), media_type="application/gzip", headers=headers)

    @post("/replace", status_code=200)
    async def replace(
        self,
        device_id: FromPath[str],
        data: JSONBody[ReplacementIn],
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        enrollment: NamedDependency[EnrollmentService],
    ) -> Enrollment:
        """Give this device's identity to a replacement box: new token and key, same address."""
        await admin_of(request, users, throttle)
        return await enrollment.replace(
            device_id,
            EnrollmentRequest("", data.serial, data.hostname, data.version, data.wg_public_key),
        )

    @get("/changes")
    async def changes(
        self,
        device_id: FromPath[str],
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        throttle: NamedDependency[LoginThrottle],
        replication: NamedDependency[ReplicationService],
        after: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=SQL_INT_MAX)] = MAX_CHANGES_PAGE,
    ) -> ChangesPage:
        """The device's replicated changes after seq ``after``, in order (a page)."""
        await admin_of(request, users, throttle)
        device = await device_or_404(replication.db, device_id)
        page = await replication.changes_after(device.id, after, min(limit, MAX_CHANGES_PAGE))
        return ChangesPage(device.last_seq, page)
