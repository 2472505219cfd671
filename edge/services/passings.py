"""Recording, importing and reading passings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Entrant, Event, Passing, PassingMethod, TimingPoint
from edge.domain.clock import from_us, now_us
from edge.errors import InvalidInput, Problem
from edge.imports.passings_csv import normalise_bib, parse_passings_csv
from edge.services.events import get_event
from edge.store.database import Database
from edge.store.points import canonical_point as canonical_point


@dataclass
class PassingsImportReport:
    """The outcome of a passings import."""

    added: int = 0
    already_present: int = 0
    unknown_bibs: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


@dataclass(frozen=True)
class NewPassing:
    """A passing to record by bib at a point (manual entry, import, forwarding)."""

    point: str
    bib: str
    time_us: int


class PassingService:
    """Passings of an event."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_csv(self, slug: str, data: bytes, *, source: str = "") -> PassingsImportReport:
        """Import ``point,bib,time`` rows; a passing already stored is not added again."""
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            # CPU-bound: in a thread, so screens and /healthz answer during a big import.
            parsed = await asyncio.to_thread(parse_passings_csv, data, list(points))
            if parsed.problems:
                raise InvalidInput(
                    parsed.problems,
                    f"{len(parsed.problems)} problems in the passings file; nothing was imported",
                )
            report = PassingsImportReport(encoding=parsed.encoding, delimiter=parsed.delimiter)
            added = await _record(
                session,
                event,
                points,
                [NewPassing(row.point, row.bib, row.time_us) for row in parsed.rows],
                PassingMethod.IMPORT,
                source,
            )
            report.added = len(added)
            report.already_present = len(parsed.rows) - len(added)
            report.unknown_bibs = await _unknown_bibs(
                session, event, {p.bib for p in added if p.bib}
            )
            return report

    async def record(
        self, slug: str, passing: NewPassing, *, method: PassingMethod, source: str = ""
    ) -> Passing | None:
        """Record one passing by bib; return it, or None when the same one is already stored."""
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            code = canonical_point(points, passing.point)
            bib = normalise_bib(passing.bib)
            if not bib:
                raise InvalidInput([Problem(where="bib", reason="a bib is required")])
            added = await _record(
                session, event, points, [NewPassing(code, bib, passing.time_us)], method, source
            )
            return added[0] if added else None

    async def export_rows(self, slug: str, *, point: str | None = None) -> list[dict[str, Any]]:
        """Passings in time order as rows ``point,bib,epc,timestamp_us,method,reads,status``."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            code_of = {p.id: code for code, p in points.items()}
            bib_of = await bibs_by_tag(session, event)
            query = select(Passing).where(Passing.event_id == event.id)
            if point is not None:
                query = query.where(Passing.point_id == points[canonical_point(points, point)].id)
            query = query.order_by(col(Passing.time_us), col(Passing.id))
            return [
                {
                    "point": code_of[p.point_id],
                    "bib": p.bib or (bib_of.get(p.epc) if p.epc else None),
                    "epc": p.epc,
                    "timestamp_us": p.time_us,
                    "time": from_us(p.time_us).isoformat(),
                    "method": p.method,
                    "reads": p.read_count,
                    "status": p.status,
                }
                for p in (await session.exec(query)).all()
            ]

    async def list_passings(
        self, slug: str, *, point: str | None = None, bib: str | None = None, limit: int = 1000
    ) -> list[tuple[Passing, str]]:
        """Return (passing, point code) pairs, newest first."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            codes = {p.id: code for code, p in points.items()}
            query = select(Passing).where(Passing.event_id == event.id)
            if point is not None:
                query = query.where(Passing.point_id == points[canonical_point(points, point)].id)
            if bib is not None:
                query = query.where(Passing.bib == normalise_bib(bib))
            query = query.order_by(col(Passing.time_us).desc()).limit(limit)
            return [(p, codes[p.point_id]) for p in (await session.exec(query)).all()]


async def bibs_by_tag(session: AsyncSession, event: Event) -> dict[str, str]:
    """Every tag EPC of the event's entrants, mapped to the bib wearing it."""
    rows = await session.exec(
        select(Entrant.bib, Entrant.tag1, Entrant.tag2).where(Entrant.event_id == event.id)
    )
    return {tag: bib for bib, *tags in rows.all() for tag in tags if tag}


async def points_by_code(session: AsyncSession, event: Event) -> dict[str, TimingPoint]:
    """The event's timing points by code."""
    query = select(TimingPoint).where(TimingPoint.event_id == event.id)
    return {p.code: p for p in (await session.exec(query)).all()}


async def _record(
    session: AsyncSession,
    event: Event,
    points: dict[str, TimingPoint],
    passings: list[NewPassing],
    method: PassingMethod,
    source: str,
) -> list[Passing]:
    """Insert the passings not already stored (same point, bib and instant); return them."""
    # All of the event's keys, not an IN list: a 60,000-row import would exceed
    # SQLite's limit on bound parameters.
    stored = await session.exec(
        select(Passing.point_id, Passing.bib, Passing.time_us).where(
            Passing.event_id == event.id, col(Passing.bib).is_not(None)
        )
    )
    seen = {(point_id, bib, time_us) for point_id, bib, time_us in stored.all()}
    created = now_us()
    added: list[Passing] = []
    for new in passings:
        key = (points[new.point].id, new.bib, new.time_us)
        if key in seen:
            continue
        seen.add(key)
        added.append(
            Passing(
                event_id=event.id,
                point_id=key[0],
                bib=new.bib,
                time_us=new.time_us,
                method=method,
                source=source,
                created_us=created,
            )
        )
    if added:
        await (await session.connection()).execute(insert(Passing), [p.model_dump() for p in added])
    return added


async def _unknown_bibs(session: AsyncSession, event: Event, bibs: set[str]) -> list[str]:
    query = select(Entrant.bib).where(Entrant.event_id == event.id)
    known = set((await session.exec(query)).all())
    return sorted(bibs - known)
