"""Corrections made by the timing operator: apply, undo, list (each one its own row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import (
    Correction,
    CorrectionKind,
    Entrant,
    Event,
    ManualStatus,
    Passing,
    PassingStatus,
    TimingPoint,
)
from edge.domain.clock import (
    format_duration,
    from_us,
    now_us,
    parse_duration,
    parse_instant,
    to_us,
)
from edge.errors import Conflict, InvalidInput, NotFound, Problem
from edge.imports.passings_csv import normalise_bib
from edge.services.events import get_event
from edge.services.passings import bibs_by_tag, canonical_point, points_by_code
from edge.services.signoff import races_of, require_reason
from edge.store.database import Database
from edge.timing.corrections import Amendment, StoredPassing, resolve_target

DEFAULT_OPERATOR = "operator"
CHOICES = ("chip", "backup")
"""What stands when a backup passing disagrees with its pair (a ``choose`` correction)."""


@dataclass(frozen=True)
class CorrectionRequest:
    """A correction as the operator asks for it (``time``: ``H:MM:SS[.f]`` or ISO 8601)."""

    kind: str
    passing_id: str | None = None
    point: str | None = None
    time: str | None = None
    bib: str | None = None
    status: str | None = None
    reason: str = ""
    epc: str | None = None  # swap: the chip given to ``bib``


@dataclass(frozen=True)
class CorrectionView:
    """A correction as people read it (point codes, times of day in the event's zone)."""

    id: str
    kind: str
    active: bool
    passing_id: str | None
    bib: str | None
    point: str | None
    time_us: int | None
    time: str | None
    target_point: str | None
    target_time_us: int | None
    target_time: str | None
    status: str | None
    reason: str
    created_by: str
    created_us: int
    undone_by: str | None
    undone_us: int | None
    epc: str | None = None  # swap: the chip re-assigned to ``bib``


class CorrectionService:
    """The operator's corrections of an event."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def apply(self, slug: str, request: CorrectionRequest, by: str) -> CorrectionView:
        """Check the correction against what is stored, then record it; bad input writes nothing."""
        async with self.db.write() as session:
            event = await get_event(session, slug)
            points = await points_by_code(session, event)
            correction = await _build(session, event, points, request, operator(by))
            await _allow(session, event, correction, request.reason, operator(by))
            correction.created_us = now_us()  # after the version it re-opened, if any
            session.add(correction)
            await session.flush()
            return correction_view(correction, event, {p.id: c for c, p in points.items()})

    async def undo(
        self, slug: str, correction_id: str, by: str, *, reason: str = ""
    ) -> CorrectionView:
        """Mark a correction undone (kept, with who undid it and when); twice is a conflict.

        After its race's sign-off an undo needs a ``reason`` like any change.
        """
        async with self.db.write() as session:
            event = await get_event(session, slug)
            correction = await session.get(Correction, correction_id)
            if correction is None or correction.event_id != event.id:
                raise NotFound(f"no correction {correction_id!r} in event {slug!r}")
            if correction.undone_us is not None:
                raise Conflict(
                    f"correction {correction_id} was already undone by {correction.undone_by}"
                )
            await _allow(session, event, correction, reason, operator(by))
            correction.undone_us = now_us()
            correction.undone_by = operator(by)
            session.add(correction)
            await session.flush()
            codes = {p.id: c for c, p in (await points_by_code(session, event)).items()}
            return correction_view(correction, event, codes)

    async def list_corrections(
        self, slug: str, *, bib: str | None = None, active: bool | None = None
    ) -> list[CorrectionView]:
        """The event's corrections, newest first."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            codes = {p.id: c for c, p in (await points_by_code(session, event)).items()}
            query = select(Correction).where(Correction.event_id == event.id)
            if bib is not None:
                query = query.where(Correction.bib == normalise_bib(bib))
            if active is not None:
                undone = col(Correction.undone_us)
                query = query.where(undone.is_(None) if active else undone.is_not(None))
            query = query.order_by(col(Correction.created_us).desc(), col(Correction.id).desc())
            return [correction_view(c, event, codes) for c in (await session.exec(query)).all()]


def operator(name: str | None) -> str:
    """Who made a change: the name given, else the default operator name."""
    cleaned = (name or "").strip()
    return cleaned[:80] if cleaned else DEFAULT_OPERATOR


async def active_amendments(session: AsyncSession, event: Event) -> list[Amendment]:
    """The event's corrections not undone, oldest first, for the results engine."""
    query = (
        select(Correction)
        .where(Correction.event_id == event.id, col(Correction.undone_us).is_(None))
        .order_by(col(Correction.created_us), col(Correction.id))
    )
    return [
        Amendment(
            id=c.id,
            kind=c.kind,
            passing_id=c.passing_id,
            target_point=c.target_point_id,
            target_epc=c.target_epc,
            target_time_us=c.target_time_us,
            point=c.point_id,
            time_us=c.time_us,
            bib=c.bib,
            status=c.status,
        )
        for c in (await session.exec(query)).all()
    ]


def time_of_day(us: int, timezone: str) -> str:
    """``H:MM:SS.t`` of an instant in the event's zone (tenths truncated)."""
    local = from_us(us).astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return format_duration((local - midnight) // dt.timedelta(microseconds=1))


def parse_time(text: str, timezone: str, day: dt.date) -> int:
    """An ISO 8601 instant, or ``H:MM:SS[.f]`` on ``day`` in the event's zone, in µs."""
    value = text.strip()
    try:
        if "T" in value or "-" in value:
            return parse_instant(value)
        offset = parse_duration(value if value.count(":") == 2 else f"{value}:00")
    except ValueError as error:
        raise InvalidInput(
            [Problem("time", f"{text!r}: type a time of day like 10:42:13.5")],
            f"time {text!r} is not a time of day (H:MM:SS.t) nor an ISO 8601 instant",
        ) from error
    if offset >= 24 * 3600 * 1_000_000:
        raise InvalidInput([Problem("time", f"{text!r} is past midnight")], "time past 23:59:59")
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone))
    return to_us(midnight + dt.timedelta(microseconds=offset))


async def _allow(
    session: AsyncSession, event: Event, correction: Correction, reason: str, by: str
) -> None:
    """Refuse a change to signed-off results without a reason (edge.services.signoff)."""
    races = await races_of(session, event, [correction.bib], [correction.target_epc])
    await require_reason(session, event, races, reason, by)


async def _build(
    session: AsyncSession,
    event: Event,
    points: dict[str, TimingPoint],
    request: CorrectionRequest,
    by: str,
) -> Correction:
    """A valid correction row for the request, or the error saying what is wrong."""
    try:
        kind = CorrectionKind(request.kind)
    except ValueError:
        choices = ", ".join(k.value for k in CorrectionKind)
        raise InvalidInput(
            [Problem("kind", f"{request.kind!r} is not one of {choices}")], "unknown correction"
        ) from None
    row = Correction(
        event_id=event.id, kind=kind, reason=request.reason.strip(), created_by=by, created_us=0
    )
    if kind in (CorrectionKind.MOVE, CorrectionKind.IGNORE):
        passing = await _target(session, event, request.passing_id)
        row.passing_id, row.bib = passing.id, passing.bib
        row.target_point_id, row.target_epc = passing.point_id, passing.epc
        row.target_time_us = passing.time_us
        if await _ignored(session, event, passing):
            raise Conflict(f"passing {passing.id} is ignored already: undo that first")
        if kind is CorrectionKind.MOVE:
            if request.point is None and not (request.time or "").strip():
                raise InvalidInput(
                    [Problem("time", "give a new time or another point")], "nothing to move"
                )
            if request.point is not None:
                row.point_id = points[canonical_point(points, request.point)].id
            if (request.time or "").strip():
                day = from_us(passing.time_us).astimezone(ZoneInfo(event.timezone)).date()
                row.time_us = parse_time(request.time or "", event.timezone, day)
    elif kind is CorrectionKind.ADD:
        row.bib = await _known_bib(session, event, request.bib)
        if not request.point or not (request.time or "").strip():
            raise InvalidInput(
                [Problem("point" if not request.point else "time", "required to add a passing")],
                "a passing needs a bib, a point and a time",
            )
        row.point_id = points[canonical_point(points, request.point)].id
        row.time_us = parse_time(
            request.time or "", event.timezone, await _race_day(session, event)
        )
    elif kind is CorrectionKind.CHOOSE:
        await _choice(session, event, request, row)
    elif kind is CorrectionKind.SWAP:
        await _swap(session, event, request, row)
    else:
        row.bib = await _known_bib(session, event, request.bib)
        row.status = _status(request.status)
        if row.status is not None and not row.reason:
            raise InvalidInput(
                [Problem("reason", f"say why bib {row.bib} is {row.status}")],
                "a reason is required",
            )
    row.created_us = now_us()
    return row


async def _choice(
    session: AsyncSession, event: Event, request: CorrectionRequest, row: Correction
) -> None:
    """Fill ``row`` with the operator's pick between a backup passing in review and its pair."""
    pick = (request.status or "").strip().lower()
    if pick not in CHOICES:
        raise InvalidInput(
            [Problem("status", f"{request.status!r}: chip or backup")], "which time stands?"
        )
    backup = await session.get(Passing, request.passing_id or "")
    if backup is None or backup.event_id != event.id or backup.status != PassingStatus.REVIEW:
        raise NotFound(
            f"no backup passing {request.passing_id!r} in review in event {event.slug!r}"
        )
    pair = await session.get(Passing, backup.pair_id or "")
    if pair is None:
        raise NotFound(f"the passing that backup passing {backup.id} pairs with is gone")
    settled = select(Correction.id).where(
        Correction.event_id == event.id,
        Correction.kind == CorrectionKind.CHOOSE,
        Correction.passing_id == backup.id,
        col(Correction.undone_us).is_(None),
    )
    if (await session.exec(settled)).first() is not None:
        raise Conflict(f"backup passing {backup.id} was already settled: undo that choice first")
    row.passing_id, row.bib, row.status = backup.id, backup.bib, pick
    row.target_point_id, row.target_epc = pair.point_id, pair.epc
    row.target_time_us = pair.time_us
    row.time_us = backup.time_us if pick == "backup" else None


async def _swap(
    session: AsyncSession, event: Event, request: CorrectionRequest, row: Correction
) -> None:
    """Fill ``row`` with a chip given to another bib (a known bib, a reason, a new owner)."""
    epc = normalise_epc(request.epc)
    row.target_epc = epc
    row.bib = await _known_bib(session, event, request.bib)
    if not row.reason:
        raise InvalidInput(
            [Problem("reason", f"say why chip {epc} now counts for bib {row.bib}")],
            "a reason is required",
        )
    owner = (await bibs_by_tag(session, event)).get(epc)
    if owner == row.bib:
        raise Conflict(f"chip {epc} already counts for bib {row.bib}: nothing to change")


def normalise_epc(text: str | None) -> str:
    """A chip's EPC as stored (uppercase hex, no spaces), or the error saying what is wrong."""
    epc = "".join((text or "").split()).upper()
    if not epc:
        raise InvalidInput([Problem("epc", "which chip? type or read its EPC")], "no chip given")
    if any(c not in "0123456789ABCDEF" for c in epc):
        raise InvalidInput(
            [Problem("epc", f"{text!r}: an EPC is hexadecimal (0-9, A-F)")], "not a chip's EPC"
        )
    return epc


async def _target(session: AsyncSession, event: Event, passing_id: str | None) -> Passing:
    if not passing_id:
        raise InvalidInput([Problem("passing_id", "which passing?")], "no passing given")
    passing = await session.get(Passing, passing_id)
    if passing is None or passing.event_id != event.id:
        raise NotFound(
            f"no passing {passing_id!r} in event {event.slug!r} (it may have been rebuilt)"
        )
    if passing.status != PassingStatus.VALID:
        raise Conflict(
            f"passing {passing_id} is {passing.status} and does not count: add a passing instead"
        )
    return passing


async def _ignored(session: AsyncSession, event: Event, passing: Passing) -> bool:
    """Whether an active ignore already takes this passing out."""
    query = select(Correction).where(
        Correction.event_id == event.id,
        Correction.kind == CorrectionKind.IGNORE,
        col(Correction.undone_us).is_(None),
        Correction.target_point_id == passing.point_id,
    )
    stored = [
        StoredPassing(passing.id, passing.point_id, passing.bib, passing.epc, passing.time_us)
    ]
    for ignore in (await session.exec(query)).all():
        amendment = Amendment(
            id=ignore.id,
            kind=ignore.kind,
            passing_id=ignore.passing_id,
            target_point=ignore.target_point_id,
            target_epc=ignore.target_epc,
            target_time_us=ignore.target_time_us,
            bib=ignore.bib,
        )
        if resolve_target(amendment, stored) == passing.id:
            return True
    return False


async def _known_bib(session: AsyncSession, event: Event, bib: str | None) -> str:
    cleaned = normalise_bib(bib or "")
    if not cleaned:
        raise InvalidInput([Problem("bib", "type a bib number")], "no bib given")
    query = select(Entrant.id).where(Entrant.event_id == event.id, Entrant.bib == cleaned)
    if (await session.exec(query)).first() is None:
        raise NotFound(f"no entrant wears bib {cleaned} in event {event.slug!r}")
    return cleaned


def _status(text: str | None) -> str | None:
    value = (text or "").strip().upper()
    if value in ("", "CLEAR", "NONE"):
        return None
    if value not in {s.value for s in ManualStatus}:
        raise InvalidInput(
            [Problem("status", f"{text!r}: DSQ, DNF or clear")], f"unknown status {text!r}"
        )
    return value


async def _race_day(session: AsyncSession, event: Event) -> dt.date:
    """The day the race is being timed: that of the newest passing, else the event's date."""
    query = select(Passing.time_us).where(Passing.event_id == event.id)
    newest = (await session.exec(query.order_by(col(Passing.time_us).desc()).limit(1))).first()
    if newest is None:
        return event.date
    return from_us(newest).astimezone(ZoneInfo(event.timezone)).date()


def correction_view(correction: Correction, event: Event, codes: dict[str, str]) -> CorrectionView:
    """A correction as people read it (``codes``: point id -> code)."""

    def clock(us: int | None) -> str | None:
        return time_of_day(us, event.timezone) if us is not None else None

    return CorrectionView(
        id=correction.id,
        kind=correction.kind,
        active=correction.undone_us is None,
        passing_id=correction.passing_id,
        bib=correction.bib,
        point=codes.get(correction.point_id) if correction.point_id else None,
        time_us=correction.time_us,
        time=clock(correction.time_us),
        target_point=codes.get(correction.target_point_id) if correction.target_point_id else None,
        target_time_us=correction.target_time_us,
        target_time=clock(correction.target_time_us),
        status=correction.status,
        reason=correction.reason,
        created_by=correction.created_by,
        created_us=correction.created_us,
        undone_by=correction.undone_by,
        undone_us=correction.undone_us,
        epc=correction.target_epc if correction.kind == CorrectionKind.SWAP else None,
    )
