"""Backup uploads: start (or resume), append chunks in order, verify, seal at rest, keep the last N.

The same uploads carry event archives (kind "archive"), which must arrive sealed.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from central.backups.store import BackupStore, seal_blob
from central.errors import Conflict, Invalid, NotFound
from central.store.database import CentralDatabase
from central.store.models import Backup, Device
from edge.domain.clock import now_us
from edge.sealing import SealError, check_header, parse_recipient

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_BACKUP_BYTES = 8 * 1024**3
SNAPSHOT = "snapshot"
"""A box's database snapshot: kept last N per device, sealed at rest by central."""
ARCHIVE = "archive"
"""An event's archive: sealed by the box itself, kept until an admin removes it."""


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

    def __init__(
        self, db: CentralDatabase, store: BackupStore, keep: int, recipient: str = ""
    ) -> None:
        self.db = db
        self.store = store
        self.keep = keep
        self.recipient = recipient  # the fleet backup key's (empty: snapshots kept as sent)
        if recipient:
            parse_recipient(recipient)  # a wrong key is refused at start, not at the 1st backup

    async def start(
        self,
        device: Device,
        size: int,
        sha256: str,
        seq: int,
        kind: str = SNAPSHOT,
        event: str | None = None,
    ) -> UploadState:
        """Begin an upload, or resume the unfinished one of the same file."""
        if not _SHA256.match(sha256):
            raise Invalid("sha256 must be 64 lowercase hex digits")
        if not 0 < size <= MAX_BACKUP_BYTES:
            raise Invalid(f"size must be between 1 and {MAX_BACKUP_BYTES} bytes")
        async with self.db.write() as session:
            # A snapshot sealed at rest is found by the sha256 the box sent.
            sent = or_(col(Backup.sha256) == sha256, col(Backup.uploaded_sha256) == sha256)
            found = await session.exec(
                select(Backup).where(
                    Backup.device_id == device.id, sent, Backup.size == size, Backup.kind == kind
                )
            )
            backup = found.first()
            if backup is None:
                backup = Backup(
                    device_id=device.id,
                    sha256=sha256,
                    size=size,
                    seq=seq,
                    created_us=now_us(),
                    kind=kind,
                    event_slug=event,
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
            digest = await asyncio.to_thread(self.digest, backup.id)
            problem = "" if digest == backup.sha256 else "does not match its sha256"
            if not problem and backup.kind == ARCHIVE:
                problem = await asyncio.to_thread(self.sealed_problem, backup.id)
            if problem:
                await asyncio.to_thread(self.store.delete, backup.id)
                received, complete = 0, False
                await self._save(backup.id, received, complete)
                raise Invalid(f"the uploaded file {problem}; upload it again")
        await self._save(backup.id, received, complete)
        if complete and backup.kind == SNAPSHOT:
            if self.recipient:
                await self.seal_at_rest(backup.id)
            await self._prune(device)
        return _state(await self._own(device, backup_id))

    def sealed_problem(self, key: str) -> str:
        """Why the blob ``key`` is not a well-formed age file ("" when it is one)."""
        head = next(iter(self.store.read(key)), b"")
        try:
            check_header(head)
        except SealError as error:
            return f"is not sealed with the fleet backup key ({error})"
        return ""

    async def seal_at_rest(self, backup_id: str) -> bool:
        """Seal a complete snapshot stored as the box sent it; False when it already was."""
        async with self.db.read() as session:
            backup = await session.get(Backup, backup_id)
        if backup is None or backup.sealed or not backup.complete:
            return False
        sealed = await asyncio.to_thread(seal_blob, self.store, backup.id, self.recipient)
        async with self.db.write() as session:
            row = await session.get(Backup, backup_id)
            assert row is not None
            row.uploaded_sha256 = row.sha256
            row.sha256, row.size, row.received = sealed.sha256, sealed.size, sealed.size
            row.sealed = True
        return True

    async def seal_stored(self) -> int:
        """Seal every complete snapshot still stored plaintext (after the key was set); how many."""
        async with self.db.read() as session:
            found = await session.exec(
                select(Backup.id).where(
                    col(Backup.complete).is_(True),
                    col(Backup.sealed).is_(False),
                    Backup.kind == SNAPSHOT,
                )
            )
            ids = list(found.all())
        sealed = 0
        for backup_id in ids:
            sealed += await self.seal_at_rest(backup_id)
        return sealed

    async def latest(self, device_id: str) -> UploadState:
        """The newest complete backup of a device."""
        async with self.db.read() as session:
            found = await session.exec(
                select(Backup)
                .where(
                    Backup.device_id == device_id,
                    col(Backup.complete).is_(True),
                    Backup.kind == SNAPSHOT,
                )
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
        if backup.kind != SNAPSHOT:
            raise NotFound(f"{backup_id} is an event archive, not a backup of device {device_id}")
        return _state(backup)

    async def complete_backups(self, device_id: str) -> list[UploadState]:
        """Every complete backup of a device, newest first."""
        async with self.db.read() as session:
            found = await session.exec(
                select(Backup)
                .where(
                    Backup.device_id == device_id,
                    col(Backup.complete).is_(True),
                    Backup.kind == SNAPSHOT,
                )
                .order_by(col(Backup.completed_us).desc())
            )
            return [_state(b) for b in found.all()]

    def digest(self, key: str) -> str:
        """The sha256 of the stored blob ``key``, read back from the store."""
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
