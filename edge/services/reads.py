"""Raw reads: importing reader logs and deriving passings from reads."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import insert
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Event, Passing, PassingMethod, PassingStatus, TagRead, TimingPoint
from edge.domain.clock import now_us
from edge.errors import InvalidInput
from edge.imports.reads_csv import parse_reads_csv
from edge.services.events import get_event
from edge.services.passings import canonical_point, points_by_code
from edge.store import reads as raw
from edge.store.database import Database
from edge.timing.crossing import CrossingSettings, RawRead, estimate_crossings

DERIVED = (PassingMethod.QUADREG, PassingMethod.STRONGEST, PassingMethod.FIRST)
"""Methods of passings computed from reads (manual and imported ones are never touched)."""


@dataclass
class RebuildReport:
    """What recomputing a point's passings from its reads changed."""

    point: str
    reads: int
    passings: int
    added: int
    removed: int


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
        self, slug: str, point: str, data: bytes, *, settings: CrossingSettings | None = None
    ) -> ReadsImportReport:
        """Store a reader log's reads (a read already stored is skipped), then derive passings."""
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
        added = await asyncio.to_thread(_store, self.db, event.id, point_id, parsed.reads)
        report = await self.rebuild(slug, code, settings=settings)
        return ReadsImportReport(
            added=added, already_present=len(parsed.reads) - added, rebuild=report[0]
        )

    async def rebuild(
        self, slug: str, point: str | None = None, *, settings: CrossingSettings | None = None
    ) -> list[RebuildReport]:
        """Recompute the derived passings of one point (or every point) from the raw reads."""
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            codes = [canonical_point(points, point)] if point else list(points)
            return [
                await rebuild_point(
                    session, event, points[code], settings or point_settings(points[code])
                )
                for code in codes
            ]

    async def rebuild_tags(
        self,
        slug: str,
        point: str,
        epcs: Collection[str],
        *,
        settings: CrossingSettings | None = None,
    ) -> RebuildReport:
        """Recompute the derived passings of some tags at one point (the others are untouched)."""
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            found = points[canonical_point(points, point)]
            return await rebuild_point(
                session, event, found, settings or point_settings(found), epcs=epcs
            )

    async def latest_reads(self, slug: str, point: str, *, stored_since_us: int) -> dict[str, int]:
        """The newest read time of each tag whose reads were stored at the point since then."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            found = points[canonical_point(points, point)]
            rows = await session.exec(
                select(TagRead.epc, func.max(TagRead.corrected_time_us))
                .where(TagRead.point_id == found.id, TagRead.created_us >= stored_since_us)
                .group_by(col(TagRead.epc))
            )
            return {epc: int(time_us) for epc, time_us in rows.all()}


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
    # Crossings are estimated tag by tag, so the passings of a subset of tags are
    # computed from that subset's reads alone; bound parameters are chunked
    # below SQLite's limit.
    chunks = [None] if epcs is None else _chunks(sorted(set(epcs)))
    reads: list[RawRead] = []
    existing: dict[tuple[str | None, int, str, str], Passing] = {}
    for chunk in chunks:
        read_query = select(
            TagRead.epc, TagRead.antenna, TagRead.rssi_dbm, TagRead.corrected_time_us
        ).where(TagRead.point_id == point.id)
        passing_query = select(Passing).where(
            Passing.point_id == point.id, col(Passing.method).in_([m.value for m in DERIVED])
        )
        if chunk is not None:
            read_query = read_query.where(col(TagRead.epc).in_(chunk))
            passing_query = passing_query.where(col(Passing.epc).in_(chunk))
        rows = await session.exec(read_query)
        reads += [RawRead(epc=e, antenna=a, rssi_dbm=r, time_us=t) for e, a, r, t in rows.all()]
        stored = await session.exec(passing_query)
        existing |= {(p.epc, p.time_us, p.method, p.status): p for p in stored.all()}
    crossings = estimate_crossings(reads, settings)
    wanted = {(c.epc, c.time_us, c.method, c.status): c for c in crossings}
    # Keep passings that did not change, so their ids (replicated to central) stay stable.
    stale = [p.id for key, p in existing.items() if key not in wanted]
    if stale:
        await session.exec(delete(Passing).where(col(Passing.id).in_(stale)))
    created = now_us()
    new = [
        Passing(
            event_id=event.id,
            point_id=point.id,
            epc=c.epc,
            time_us=c.time_us,
            method=PassingMethod(c.method),
            status=PassingStatus(c.status),
            read_count=c.read_count,
            source="reads",
            created_us=created,
        ).model_dump()
        for key, c in wanted.items()
        if key not in existing
    ]
    if new:
        await (await session.connection()).execute(insert(Passing), new)
    return RebuildReport(
        point=point.code,
        reads=len(reads),
        passings=len(crossings),
        added=len(new),
        removed=len(stale),
    )


def _chunks(epcs: list[str], size: int = 500) -> list[list[str] | None]:
    return [epcs[start : start + size] for start in range(0, len(epcs), size)]
