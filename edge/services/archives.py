"""After the event: archive it (sealed, uploaded, confirmed by central), then purge it.

The web process lists archives and queues them: what builds, uploads and purges
(edge.backup) is imported only where it runs, in the worker or at the purge.

``start`` records an archive and queues the ``archive.event`` job, which ``run``s it:
build the sealed file, upload it (resuming), and ask central to confirm it holds a copy
whose sha256 matches. ``purge`` deletes the event from the box only when its newest
archive is confirmed, holds every change of the event, and central confirms it again
at that moment: a box never purges what central has not confirmed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from edge.domain import ArchiveState, EventArchive
from edge.domain.clock import now_us
from edge.errors import Conflict, InvalidInput, NotFound, Problem
from edge.paths import BoxPaths
from edge.roleconfig import CentralLink, load_role
from edge.services.events import get_event
from edge.services.jobs import JobService
from edge.store.database import Database
from edge.store.reads import connect, write_transaction
from edge.vpn.route import sync_url

JOB_KIND = "archive.event"
QUEUE = "backup"  # with the snapshots: one upload to central at a time
UPLOAD_TRIES = 3  # quick retries of a dropped link inside one run; the job queue retries later
IN_PROGRESS = (ArchiveState.BUILDING, ArchiveState.UPLOADING)
DERIVED = ("results_snapshot",)
"""Outbox rows computed from the event's data (published results): not changes to archive."""

Step = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class ArchiveView:
    """An archive as the operator sees it."""

    id: str
    event: str
    state: str
    size: int
    sha256: str
    counts: dict[str, int]
    central_id: str
    error: str
    created_by: str
    created_us: int
    confirmed_us: int | None
    purged_us: int | None

    @property
    def purgeable(self) -> bool:
        """Central confirmed it (the purge asks central once more)."""
        return self.state == ArchiveState.CONFIRMED


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed."""

    event: str
    archive_id: str
    rows: dict[str, int]
    files: int


def _view(row: EventArchive) -> ArchiveView:
    return ArchiveView(
        id=row.id,
        event=row.event_slug,
        state=str(row.state),
        size=row.size,
        sha256=row.sha256,
        counts=json.loads(row.counts),
        central_id=row.central_id,
        error=row.error,
        created_by=row.created_by,
        created_us=row.created_us,
        confirmed_us=row.confirmed_us,
        purged_us=row.purged_us,
    )


def _is_link_down(error: BaseException) -> bool:
    import httpx

    from edge.backup.upload import BackupUploadFailed

    return isinstance(error, BackupUploadFailed) and isinstance(
        error.__cause__, httpx.TransportError
    )


class ArchiveService:
    """Archives and purges of the events of one box."""

    def __init__(self, db: Database, paths: BoxPaths, recipient: str) -> None:
        self.db = db
        self.paths = paths
        self.recipient = recipient

    async def start(self, slug: str, created_by: str, jobs: JobService) -> ArchiveView:
        """Record an archive of ``slug`` and queue its job (the one under way, if there is one)."""
        from edge.sealing import SealError, parse_recipient

        if not self.recipient.strip():
            problem = Problem("backup_recipient", "the fleet backup key is not set on this box")
            raise InvalidInput(
                [problem],
                "set CHRONO_EDGE_BACKUP_RECIPIENT (Ansible: chronoedge_box_backup_recipient) to"
                " the fleet's public backup key, then archive again; nothing was started",
            )
        try:
            parse_recipient(self.recipient)
        except SealError as error:
            raise InvalidInput([Problem("backup_recipient", str(error))]) from error
        role = await asyncio.to_thread(load_role, self.paths.role_file)
        if role.central is None:
            raise Conflict("this box is not enrolled with central, where archives are kept")
        async with self.db.write() as session:
            event = await get_event(session, slug)
            found = await session.exec(
                select(EventArchive).where(
                    EventArchive.event_slug == slug, col(EventArchive.state).in_(IN_PROGRESS)
                )
            )
            if (under_way := found.first()) is not None:
                return _view(under_way)
            row = EventArchive(
                event_slug=slug, event_name=event.name, created_by=created_by, created_us=now_us()
            )
            session.add(row)
            await session.flush()
            view = _view(row)
        await jobs.enqueue(JOB_KIND, {"archive": view.id, "event": slug}, QUEUE)
        return view

    async def latest(self, slug: str) -> ArchiveView | None:
        """The newest archive of ``slug`` (None: never archived)."""
        row = await self._latest(slug)
        return None if row is None else _view(row)

    async def get(self, archive_id: str) -> ArchiveView:
        """One archive by id."""
        return _view(await self._row(archive_id))

    async def run(self, archive_id: str, step: Step) -> ArchiveView:
        """Build (unless built), upload and have central confirm an archive; resumable."""
        row = await self._row(archive_id)
        if row.state in (ArchiveState.CONFIRMED, ArchiveState.PURGED):
            return _view(row)
        built = self.paths.archives_folder / row.file_name if row.file_name else None
        if row.state == ArchiveState.FAILED:  # a retry: the page shows it under way again
            again = ArchiveState.UPLOADING if built and built.exists() else ArchiveState.BUILDING
            await self._save(archive_id, state=again, error="")
        try:
            link, url = await self._central()
            if built is None or not built.exists():
                await step(5, "building the archive")
                await self.build(archive_id)
            await step(40, "uploading to central")
            await self.upload(archive_id, link, url)
            await step(90, "central checks its copy")
            return await self.confirm(archive_id, link, url)
        except Exception as error:
            await self._save(archive_id, state=ArchiveState.FAILED, error=str(error))
            raise

    async def build(self, archive_id: str) -> ArchiveView:
        """Make the sealed file of an archive (any earlier one of it is replaced)."""
        from edge.backup.archive import build_archive

        row = await self._row(archive_id)
        built = await asyncio.to_thread(
            build_archive,
            self.db.path,
            row.event_slug,
            row.id,
            self.paths.archives_folder,
            self.paths.exports_folder,
            self.recipient,
        )
        return await self._save(
            archive_id,
            state=ArchiveState.UPLOADING,
            file_name=built.sealed.path.name,
            size=built.sealed.size,
            sha256=built.sealed.sha256,
            seq=built.seq,
            counts=json.dumps(built.counts, sort_keys=True),
            error="",
        )

    async def upload(self, archive_id: str, link: CentralLink, url: str) -> ArchiveView:
        """Send the sealed file to central (from where central's copy stands)."""
        from edge.backup.upload import upload_file

        row = await self._row(archive_id)
        path = self.paths.archives_folder / row.file_name
        start = {"size": row.size, "sha256": row.sha256, "event": row.event_slug}
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_is_link_down),
            stop=stop_after_attempt(UPLOAD_TRIES),
            wait=wait_exponential_jitter(initial=1, max=10),
            reraise=True,
        ):
            with attempt:
                sent = await asyncio.to_thread(upload_file, path, start, link, "archives", url=url)
        return await self._save(archive_id, central_id=sent.backup_id)

    async def confirm(self, archive_id: str, link: CentralLink, url: str) -> ArchiveView:
        """Ask central to check its copy now: confirmed, or failed with central's reason."""
        from edge.backup.archive import ArchiveFailed
        from edge.backup.upload import confirm_archive

        row = await self._row(archive_id)
        answer = await asyncio.to_thread(confirm_archive, link, row.central_id, url=url)
        if answer.confirmed and answer.sha256 == row.sha256:
            return await self._save(
                archive_id, state=ArchiveState.CONFIRMED, confirmed_us=now_us(), error=""
            )
        problem = answer.problem or "central holds a file with another sha256"
        await self._save(archive_id, state=ArchiveState.FAILED, error=problem)
        raise ArchiveFailed(f"central did not confirm the archive: {problem}")

    async def purge(self, slug: str) -> PurgeReport:
        """Delete ``slug`` from the box: only with an archive central confirms now."""
        from edge.backup.archive import archive_file_name, event_exports
        from edge.backup.upload import CentralUnreachable, confirm_archive

        row = await self._latest(slug)
        if row is None:
            raise Conflict(f"{slug} was never archived: archive the event first; nothing deleted")
        if row.state == ArchiveState.PURGED:
            raise NotFound(f"{slug} was already purged from this box")
        if row.state != ArchiveState.CONFIRMED:
            why = f" ({row.error})" if row.error else ""
            raise Conflict(
                f"the archive of {slug} is {row.state}{why}, not confirmed by central:"
                " nothing was deleted; archive the event again"
            )
        role = await asyncio.to_thread(load_role, self.paths.role_file)
        if role.event == slug:
            raise Conflict(
                f"this box is still set to {slug} (reader.json): its reader would write reads"
                " of a deleted event. Set it to another event, or none, on /setup, then purge;"
                " nothing was deleted"
            )
        changed = await asyncio.to_thread(self._changes_after, slug, row.seq)
        if changed:
            raise Conflict(
                f"{slug} changed after its archive ({changed} changes): archive it again,"
                " then purge; nothing was deleted"
            )
        link, url = await self._central()
        try:
            answer = await asyncio.to_thread(confirm_archive, link, row.central_id, url=url)
        except CentralUnreachable as error:
            raise Conflict(f"{error}; nothing was deleted: purge again when it is back") from error
        if not answer.confirmed or answer.sha256 != row.sha256:
            problem = answer.problem or "central holds a file with another sha256"
            await self._save(row.id, state=ArchiveState.FAILED, error=problem)
            raise Conflict(
                f"central no longer confirms the archive of {slug}: {problem}; nothing was"
                " deleted: archive the event again"
            )
        rows = await asyncio.to_thread(self._purge_rows, slug, row.id)
        files = event_exports(self.paths.exports_folder, slug)
        for path in files:
            path.unlink(missing_ok=True)
        (self.paths.archives_folder / archive_file_name(slug, row.id)).unlink(missing_ok=True)
        # The live-results documents hold the entrants' names too (ResultsCache's folder).
        await asyncio.to_thread(
            shutil.rmtree, self.paths.cache_folder / "results" / slug, ignore_errors=True
        )
        return PurgeReport(slug, row.id, rows, len(files))

    def _changes_after(self, slug: str, seq: int) -> int:
        connection = connect(self.db.path)
        try:
            row = connection.execute(
                "SELECT count(*) FROM outbox WHERE seq > ? AND table_name NOT IN"
                f" ({', '.join('?' * len(DERIVED))}) AND json_extract(payload, '$.event') = ?",
                [seq, *DERIVED, slug],
            ).fetchone()
        finally:
            connection.close()
        return int(row[0])

    def _purge_rows(self, slug: str, archive_id: str) -> dict[str, int]:
        from edge.backup.purge import purge_event_rows

        connection = connect(self.db.path)
        try:
            with write_transaction(connection):
                event = connection.execute("SELECT id FROM event WHERE slug = ?", [slug]).fetchone()
                if event is None:
                    raise NotFound(f"there is no event {slug} on this box")
                purged = purge_event_rows(connection, event[0], slug)
                connection.execute(
                    "UPDATE event_archive SET state = ?, purged_us = ? WHERE id = ?",
                    [ArchiveState.PURGED.value, now_us(), archive_id],
                )
        finally:
            connection.close()
        return purged.tables

    async def _central(self) -> tuple[CentralLink, str]:
        role = await asyncio.to_thread(load_role, self.paths.role_file)
        if role.central is None:
            raise Conflict("this box is not enrolled with central, where archives are kept")
        return role.central, sync_url(role)

    async def _latest(self, slug: str) -> EventArchive | None:
        async with self.db.read() as session:
            found = await session.exec(
                select(EventArchive)
                .where(EventArchive.event_slug == slug)
                .order_by(col(EventArchive.created_us).desc(), col(EventArchive.id).desc())
            )
            return found.first()

    async def _row(self, archive_id: str) -> EventArchive:
        async with self.db.read() as session:
            row = await session.get(EventArchive, archive_id)
        if row is None:
            raise NotFound(f"no event archive {archive_id}")
        return row

    async def _save(self, archive_id: str, **changes: Any) -> ArchiveView:
        async with self.db.write() as session:
            row = await session.get(EventArchive, archive_id)
            if row is None:
                raise NotFound(f"no event archive {archive_id}")
            for name, value in changes.items():
                setattr(row, name, value)
            session.add(row)
            await session.flush()
            return _view(row)
