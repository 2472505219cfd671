"""Recording, importing and reading passings."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import (
    Correction,
    CorrectionKind,
    Entrant,
    Event,
    Passing,
    PassingMethod,
    PassingStatus,
    TimingPoint,
)
from edge.domain.clock import from_us, now_us
from edge.errors import InvalidInput, Problem
from edge.imports.passings_csv import normalise_bib, parse_passings_csv
from edge.services.backup_merge import known_passings, time_placer
from edge.services.events import get_event
from edge.services.signoff import races_of, require_reason
from edge.store.database import Database
from edge.store.points import canonical_point as canonical_point
from edge.timing.backup import PAIR_WINDOW_US, TOLERANCE_US, Verdict, merge_backup

_STATUS_OF = {
    Verdict.FILLS: PassingStatus.VALID,
    Verdict.CONFIRMS: PassingStatus.CONFIRMS,
    Verdict.REVIEW: PassingStatus.REVIEW,
}


@dataclass
class PassingsImportReport:
    """The outcome of a passings import."""

    added: int = 0
    already_present: int = 0
    unknown_bibs: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    # Of the added: counting where nothing else did, confirming, waiting for the operator.
    fills: int = 0
    confirms: int = 0
    review: int = 0


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

    async def import_csv(
        self,
        slug: str,
        data: bytes,
        *,
        source: str = "",
        point: str | None = None,
        tolerance_us: int = TOLERANCE_US,
        window_us: int = PAIR_WINDOW_US,
        reason: str = "",
        by: str = "operator",
    ) -> PassingsImportReport:
        """Import a backup line's passings in one transaction; the same file twice adds nothing.

        ``point``: every row's, for a file without a point column. Each new passing is
        merged with the stored ones (``edge.timing.backup``): it fills, confirms or
        goes to review with the passing it pairs with. New passings of a signed-off race
        need a ``reason`` (``edge.services.signoff.require_reason``).
        """
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            code = canonical_point(points, point) if point is not None else None
            place = await time_placer(session, event)
            # CPU-bound: in a thread, so screens and /healthz answer during a big import.
            parsed = await asyncio.to_thread(
                parse_passings_csv, data, list(points), point=code, place=place
            )
            if parsed.problems:
                raise InvalidInput(
                    parsed.problems,
                    f"{len(parsed.problems)} problems in the passings file; nothing was imported",
                )
            report = PassingsImportReport(encoding=parsed.encoding, delimiter=parsed.delimiter)
            new = await _unstored(
                session, event, points, [NewPassing(r.point, r.bib, r.time_us) for r in parsed.rows]
            )
            touched = await races_of(session, event, [n.bib for n in new])
            await require_reason(session, event, touched, reason, by)
            code_of = {p.id: c for c, p in points.items()}
            known = await known_passings(session, event, code_of, await bibs_by_tag(session, event))
            merged = merge_backup(
                ((n.point, n.bib, n.time_us) for n in new),
                known,
                tolerance_us=tolerance_us,
                window_us=window_us,
            )
            added = await _insert(
                session,
                event,
                points,
                new,
                PassingMethod.IMPORT,
                source,
                [(_STATUS_OF[m.verdict], m.pair.id if m.pair else None) for m in merged],
            )
            report.added = len(added)
            report.already_present = len(parsed.rows) - len(added)
            report.fills = sum(1 for m in merged if m.verdict is Verdict.FILLS)
            report.confirms = sum(1 for m in merged if m.verdict is Verdict.CONFIRMS)
            report.review = sum(1 for m in merged if m.verdict is Verdict.REVIEW)
            report.unknown_bibs = await _unknown_bibs(
                session, event, {p.bib for p in added if p.bib}
            )
            return report

    async def record(
        self,
        slug: str,
        passing: NewPassing,
        *,
        method: PassingMethod,
        source: str = "",
        reason: str = "",
        by: str = "operator",
    ) -> Passing | None:
        """Record one passing by bib; return it, or None when the same one is already stored.

        A passing of a signed-off race needs a ``reason`` (re-opening its results).
        """
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
            if added:
                await require_reason(
                    session, event, await races_of(session, event, [bib]), reason, by
                )
            return added[0] if added else None

    async def export_rows(self, slug: str, *, point: str | None = None) -> list[dict[str, Any]]:
        """Passings in time order as rows ``point,bib,epc,timestamp_us,method,reads,status``
        and ``clock_offset_us`` (a SLAVE's clock offset when it was beyond the tolerance)."""
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
                    "clock_offset_us": p.clock_offset_us,
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
    """Every tag EPC of the event's entrants, mapped to the bib wearing it, chip swaps applied."""
    rows = await session.exec(
        select(Entrant.bib, Entrant.tag1, Entrant.tag2).where(Entrant.event_id == event.id)
    )
    owners = {tag: bib for bib, *tags in rows.all() for tag in tags if tag}
    return owners | await swapped_chips(session, event)


async def swapped_chips(
    session: AsyncSession, event: Event, epcs: Collection[str] | None = None
) -> dict[str, str]:
    """Chips re-assigned by an active swap correction (of ``epcs`` only, if given) -> bib.

    The latest swap of a chip wins; an undone swap gives the chip back to whoever had it.
    """
    query = select(Correction.target_epc, Correction.bib).where(
        Correction.event_id == event.id,
        Correction.kind == CorrectionKind.SWAP,
        col(Correction.undone_us).is_(None),
    )
    if epcs is not None:
        query = query.where(col(Correction.target_epc).in_(sorted(epcs)))
    query = query.order_by(col(Correction.created_us), col(Correction.id))
    return {epc: bib for epc, bib in (await session.exec(query)).all() if epc and bib}


async def points_by_code(session: AsyncSession, event: Event) -> dict[str, TimingPoint]:
    """The event's timing points by code."""
    query = select(TimingPoint).where(TimingPoint.event_id == event.id)
    return {p.code: p for p in (await session.exec(query)).all()}


FEW_BIBS = 500
"""Up to this many runners in one batch, their stored passings are looked up by bib."""


async def _record(
    session: AsyncSession,
    event: Event,
    points: dict[str, TimingPoint],
    passings: list[NewPassing],
    method: PassingMethod,
    source: str,
) -> list[Passing]:
    """Insert the passings not already stored (same point, bib and instant); return them."""
    new = await _unstored(session, event, points, passings)
    return await _insert(session, event, points, new, method, source, None)


async def _unstored(
    session: AsyncSession, event: Event, points: dict[str, TimingPoint], passings: list[NewPassing]
) -> list[NewPassing]:
    """The passings not already stored (same point, bib and instant, whatever their status)."""
    query = select(Passing.point_id, Passing.bib, Passing.time_us).where(
        Passing.event_id == event.id, col(Passing.bib).is_not(None)
    )
    bibs = {new.bib for new in passings}
    if len(bibs) <= FEW_BIBS:
        # A passing typed, forwarded or synced: only its runners' passings (an index
        # lookup), not the event's 40,000 held in the write transaction for 0.2 s each.
        query = query.where(col(Passing.bib).in_(sorted(bibs)))
    # Else all of the event's keys, not an IN list: a 60,000-row import would exceed
    # SQLite's limit on bound parameters.
    stored = await session.exec(query)
    seen = {(point_id, bib, time_us) for point_id, bib, time_us in stored.all()}
    new: list[NewPassing] = []
    for passing in passings:
        key = (points[passing.point].id, passing.bib, passing.time_us)
        if key not in seen:
            seen.add(key)
            new.append(passing)
    return new


async def _insert(
    session: AsyncSession,
    event: Event,
    points: dict[str, TimingPoint],
    passings: list[NewPassing],
    method: PassingMethod,
    source: str,
    marks: list[tuple[PassingStatus, str | None]] | None,
) -> list[Passing]:
    """Insert ``passings`` with their (status, pair) marks, by default valid and unpaired."""
    created = now_us()
    added = [
        Passing(
            event_id=event.id,
            point_id=points[new.point].id,
            bib=new.bib,
            time_us=new.time_us,
            method=method,
            source=source,
            created_us=created,
            status=marks[index][0] if marks else PassingStatus.VALID,
            pair_id=marks[index][1] if marks else None,
        )
        for index, new in enumerate(passings)
    ]
    if added:
        await (await session.connection()).execute(insert(Passing), [p.model_dump() for p in added])
    return added


async def _unknown_bibs(session: AsyncSession, event: Event, bibs: set[str]) -> list[str]:
    query = select(Entrant.bib).where(Entrant.event_id == event.id)
    known = set((await session.exec(query)).all())
    return sorted(bibs - known)
