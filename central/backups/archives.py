"""Event archives a box sealed and uploaded: central's confirmation that it holds them.

Central has only the fleet's recipient, never its identity, so "central can read it"
means: the file it stores, read back from the store now, has the sha256 the box
announced, and it is a well-formed age file (its header parses, it names a recipient).
Whether it opens with the fleet's key is what an admin checks with the identity
(``chrono-edge archive open``), never central.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlmodel import col, select

from central.backups.service import ARCHIVE, BackupService
from central.errors import Invalid, NotFound
from central.store.models import Backup, Device
from edge.domain.clock import now_us


@dataclass(frozen=True)
class ArchiveState:
    """An archive upload as central holds it; ``confirmed`` only after a fresh check."""

    id: str
    event: str
    size: int
    received: int
    complete: bool
    sha256: str
    confirmed: bool
    verified_us: int | None
    problem: str  # why it is not confirmed ("" when it is)


class ArchiveService:
    """Uploads of event archives (the backup uploads' machinery, kind "archive")."""

    def __init__(self, backups: BackupService) -> None:
        self.backups = backups

    async def start(self, device: Device, size: int, sha256: str, event: str) -> ArchiveState:
        """Begin (or resume) the upload of ``event``'s archive."""
        if not event or len(event) > 200:
            raise Invalid("event must name the archived event's slug")
        state = await self.backups.start(device, size, sha256, 0, ARCHIVE, event)
        return await self.state(device, state.id)

    async def append(
        self, device: Device, archive_id: str, offset: int, data: bytes
    ) -> ArchiveState:
        """Store a chunk; the last one is checked (sha256, age header) or the upload restarts."""
        await self._archive(device, archive_id)
        await self.backups.append(device, archive_id, offset, data)
        return await self.state(device, archive_id)

    async def state(self, device: Device, archive_id: str) -> ArchiveState:
        """Where the upload stands (no re-check)."""
        backup = await self._archive(device, archive_id)
        return _state(backup, confirmed=False, problem="" if backup.complete else "incomplete")

    async def confirm(self, device: Device, archive_id: str) -> ArchiveState:
        """Read the stored archive back now: confirmed if its sha256 and age header hold."""
        backup = await self._archive(device, archive_id)
        if not backup.complete:
            received = f"{backup.received} of {backup.size} bytes"
            return _state(
                backup, confirmed=False, problem=f"the upload is not complete ({received})"
            )
        stored = await asyncio.to_thread(self.backups.store.size, backup.id)
        digest = await asyncio.to_thread(self.backups.digest, backup.id) if stored else ""
        if digest != backup.sha256:
            problem = "central's copy does not match the archive's sha256 (damaged or altered)"
            return _state(backup, confirmed=False, problem=problem)
        problem = await asyncio.to_thread(self.backups.sealed_problem, backup.id)
        if problem:
            return _state(backup, confirmed=False, problem=f"central's copy {problem}")
        verified = now_us()
        async with self.backups.db.write() as session:
            row = await session.get(Backup, backup.id)
            assert row is not None
            row.verified_us = verified
        return _state(backup, confirmed=True, problem="", verified_us=verified)

    async def listed(self, event: str | None = None) -> list[Backup]:
        """Every complete archive (of ``event``), newest first: what an admin opens."""
        query = select(Backup).where(Backup.kind == ARCHIVE, col(Backup.complete).is_(True))
        if event:
            query = query.where(Backup.event_slug == event)
        async with self.backups.db.read() as session:
            found = await session.exec(query.order_by(col(Backup.completed_us).desc()))
            return list(found.all())

    async def _archive(self, device: Device, archive_id: str) -> Backup:
        async with self.backups.db.read() as session:
            backup = await session.get(Backup, archive_id)
        if backup is None or backup.device_id != device.id or backup.kind != ARCHIVE:
            raise NotFound(f"no event archive {archive_id} from this device")
        return backup


def _state(
    backup: Backup, *, confirmed: bool, problem: str, verified_us: int | None = None
) -> ArchiveState:
    return ArchiveState(
        id=backup.id,
        event=backup.event_slug or "",
        size=backup.size,
        received=backup.received,
        complete=backup.complete,
        sha256=backup.sha256,
        confirmed=confirmed,
        verified_us=verified_us if verified_us is not None else backup.verified_us,
        problem=problem,
    )
