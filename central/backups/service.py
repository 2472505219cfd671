"""Backup uploads: start (or resume), append chunks in order, verify, keep the last N."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from central.backups.store import BackupStore
from central.errors import Conflict, Invalid, NotFound
from central.store.database import CentralDatabase
from central.store.models import Backup, Device
from edge.domain.clock import now_us

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_BACKUP_BYTES = 8 * 1024**3


class OffsetMismatch(Conflict):
    """The chunk does not start where the upload stands; resume from ``expected_offset``."""

    def __init__(self, expected_offset: int) -> None:
        self.expected_offset = expected_offset
        super().__init__(f"the upload stands at byte {expected_offset}; send from there")

    def extra(self) -> dict[str, Any]:
        """Where the sender resumes its upload."""
        return {"expected_offset": self.expected_offset}


@dataclass(frozen=True)
class UploadState:
    """Where an upload stands."""

    id: str
    size: int
    received: int
    complete: bool
    seq: int
    sha256: str


def _state(backup: Backup) -> UploadState:
    return UploadState(
        backup.id, backup.size, backup.received, backup.complete, backup.seq, backup.sha256
    )


class BackupService:
    """Backups of the fleet's boxes."""

    def __init__(self, db: CentralDatabase, store: BackupStore, keep: int) -> None:
        self.db = db
        self.store = store
        self.keep = keep

    async def start(self, device: Device, size: int, sha256: str, seq: int) -> UploadState:
        """Begin an upload, or resume the unfinished one of the same file."""
        if not _SHA256.match(sha256):
            raise Invalid("sha256 must be 64 lowercase hex digits")
        if not 0 < size <= MAX_BACKUP_BYTES:
            raise Invalid(f"size must be between 1 and {MAX_BACKUP_BYTES} bytes")
        async with self.db.write() as session:
            found = await session.exec(
                select(Backup).where(
                    Backup.device_id == device.id, Backup.sha256 == sha256, Backup.size == size
                )
            )
            backup = found.first()
            if backup is None:
                backup = Backup(
                    device_id=device.id, sha256=sha256, size=size, seq=seq, created_us=now_us()
                )
                session.add(backup)
                await session.flush()
            return _state(backup)

    async def append(self, device: Device, backup_id: str, offset: int, data: bytes) -> UploadState:
        """Store a chunk at ``offset``; the last one is verified against the sha256."""
        backup = await self._own(device, backup_id)
        if backup.complete:
            return _state(backup)
        if offset != backup.received:
            raise OffsetMismatch(backup.received)
        if offset + len(data) > backup.size:
            raise Invalid(f"the chunk goes past the announced size of {backup.size} bytes")
        received = await asyncio.to_thread(self.store.append, backup.id, offset, data)
        complete = received == backup.size
        if complete:
            digest = await asyncio.to_thread(self._digest, backup.id)
            if digest != backup.sha256:
                await asyncio.to_thread(self.store.delete, backup.id)
                received, complete = 0, False
                await self._save(backup.id, received, complete)
                raise Invalid("the uploaded file does not match its sha256; upload it again")
        await self._save(backup.id, received, complete)
        if complete:
            await self._prune(device)
        return _state(await self._own(device, backup_id))

    async def latest(self, device_id: str) -> UploadState:
        """The newest complete backup of a device."""
        async with self.db.read() as session:
            found = await session.exec(
                select(Backup)
                .where(Backup.device_id == device_id, col(Backup.complete).is_(True))
                .order_by(col(Backup.completed_us).desc())
            )
            backup = found.first()
        if backup is None:
            raise NotFound(f"device {device_id} has no complete backup")
        return _state(backup)

    async def file_of(self, device_id: str, backup_id: str) -> UploadState:
        """A complete backup of ``device_id`` (to download it)."""
        async with self.db.read() as session:
            backup = await session.get(Backup, backup_id)
        if backup is None or backup.device_id != device_id or not backup.complete:
            raise NotFound(f"no complete backup {backup_id} for device {device_id}")
        return _state(backup)

    async def complete_backups(self, device_id: str) -> list[UploadState]:
        """Every complete backup of a device, newest first."""
        async with self.db.read() as session:
            found = await session.exec(
                select(Backup)
                .where(Backup.device_id == device_id, col(Backup.complete).is_(True))
                .order_by(col(Backup.completed_us).desc())
            )
            return [_state(b) for b in found.all()]

    def _digest(self, key: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.store.read(key):
            digest.update(chunk)
        return digest.hexdigest()

    async def _own(self, device: Device, backup_id: str) -> Backup:
        async with self.db.read() as session:
            backup = await session.get(Backup, backup_id)
        if backup is None or backup.device_id != device.id:
            raise NotFound(f"no backup upload {backup_id} for this device")
        return backup

    async def _save(self, backup_id: str, received: int, complete: bool) -> None:
        async with self.db.write() as session:
            backup = await session.get(Backup, backup_id)
            assert backup is not None
            backup.received = received
            backup.complete = complete
            backup.completed_us = now_us() if complete else None

    async def _prune(self, device: Device) -> None:
        kept = await self.complete_backups(device.id)
        for old in kept[self.keep :]:
            await asyncio.to_thread(self.store.delete, old.id)
            async with self.db.write() as session:
                row = await session.get(Backup, old.id)
                if row is not None:
                    await session.delete(row)


async def device_or_404(db: CentralDatabase, device_id: str) -> Device:
    """The enrolled device ``device_id``."""
    async with db.read() as session:
        device = await session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id}")
    return device
