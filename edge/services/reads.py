"""Raw reads: importing reader logs and deriving passings from reads."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Event, TimingPoint
from edge.errors import InvalidInput
from edge.imports.reads_csv import parse_reads_csv
from edge.services.events import get_event
from edge.services.passings import canonical_point, points_by_code
from edge.services.signoff import refuse_without_reason, require_reason
from edge.store import reads as raw
from edge.store.database import Database
from edge.store.points import PointRow
from edge.store.tag_passings import Cursor, TagPassings, rebuild_passings
from edge.store.tag_passings import RebuildReport as RebuildReport
from edge.timing.crossing import CrossingSettings


@dataclass
class ReadsImportReport:
    """The outcome of importing a reader log."""

    added: int
    already_present: int
    rebuild: RebuildReport


class ReadService:
    """Raw reads of an event and the passings derived from them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_csv(
        self,
        slug: str,
        point: str,
        data: bytes,
        *,
        settings: CrossingSettings | None = None,
        reason: str = "",
        by: str = "operator",
    ) -> ReadsImportReport:
        """Store a reader log's reads (a read already stored is skipped), then derive passings.

        Once a race of the event is signed off it needs a ``reason`` (checked before any
        read is stored).
        """
        parsed = parse_reads_csv(data)
        if parsed.problems:
            raise InvalidInput(
                parsed.problems,
                f"{len(parsed.problems)} problems in the reads file; nothing was imported",
            )
        async with self.db.read() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            code = canonical_point(points, point)
            point_id = points[code].id
            await refuse_without_reason(session, event, None, reason)
        added = await asyncio.to_thread(_store, self.db, event.id, point_id, parsed.reads)
        report = await self.rebuild(slug, code, settings=settings, reason=reason, by=by)
        return ReadsImportReport(
            added=added, already_present=len(parsed.reads) - added, rebuild=report[0]
        )

    async def rebuild(
        self,
        slug: str,
        point: str | None = None,
        *,
        settings: CrossingSettings | None = None,
        reason: str = "",
        by: str = "operator",
    ) -> list[RebuildReport]:
        """Recompute the derived passings of one point (or every point) from the raw reads.

        A rebuild that adds or removes passings once a race is signed off needs a ``reason``.
        """
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            codes = [canonical_point(points, point)] if point else list(points)
            reports = [
                await rebuild_point(
                    session, event, points[code], settings or point_settings(points[code])
                )
                for code in codes
            ]
            if any(r.added or r.removed for r in reports):
                await require_reason(session, event, None, reason, by)
            return reports

    async def rebuild_tags(
        self,
        slug: str,
        point: str,
        epcs: Collection[str],
        *,
        settings: CrossingSettings | None = None,
    ) -> RebuildReport:
        """Recompute the derived passings of some tags at one point (the others are untouched)."""
        return await TagPassings(self.db.path).rebuild_tags(slug, point, epcs, settings=settings)

    async def latest_reads(self, slug: str, point: str, *, stored_since_us: int) -> dict[str, int]:
        """The newest read time of each tag whose reads were stored at the point since then."""
        return await TagPassings(self.db.path).latest_reads(
            slug, point, stored_since_us=stored_since_us
        )


def point_settings(point: TimingPoint) -> CrossingSettings:
    """The crossing settings the event file gave this timing point."""
    return CrossingSettings(
        method=point.crossing_method,
        quiet_gap_us=point.quiet_gap_us,
        stray_limit_us=point.stray_limit_us,
        repeat_window_us=point.repeat_window_us,
    )


def _store(db: Database, event_id: str, point_id: str, reads: list[raw.ReadIn]) -> int:
    connection = raw.connect(db.path)
    try:
        return raw.record_reads(connection, event_id, point_id, reads, device_id="import")
    finally:
        connection.close()


async def rebuild_point(
    session: AsyncSession,
    event: Event,
    point: TimingPoint,
    settings: CrossingSettings,
    *,
    epcs: Collection[str] | None = None,
) -> RebuildReport:
    """Recompute the point's derived passings (of ``epcs`` only, if given) in ``session``."""
    row = PointRow(event.id, event.slug, point.id, point.code, settings)

    def rebuild(sync_session: Session) -> RebuildReport:
        sync_session.flush()  # as a query of the session would (autoflush)
        # The reader service's own code (plain DB-API), in this session's transaction.
        dbapi = sync_session.connection().connection.dbapi_connection
        assert dbapi is not None, "the session's connection is open"
        cursor = cast(Cursor, dbapi.cursor())  # aiosqlite's, adapted to the DB-API
        try:
            return rebuild_passings(cursor, row, settings, epcs=epcs)
        finally:
            cursor.close()

    return await session.run_sync(rebuild)
