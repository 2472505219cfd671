"""The MASTER's side of SLAVE -> MASTER forwarding: batches applied once, in order.

A SLAVE's outbox carries its raw reads and every change to its passings, but
the MASTER takes only two kinds of change from it:

- **tag reads**, stored as they are (the SLAVE's row id and device id kept)
  with INSERT OR IGNORE on the reads' natural key, after which the MASTER
  recomputes *its own* derived passings of the tags concerned at that point;
- **manual passings** (a bib typed on the SLAVE), upserted and deleted by id;
- **check-ins** (a SLAVE at the check-in table), upserted by id: the MASTER holds the
  entrants the check-in page names, and a pass's later reads update its row.

The passings derived from a SLAVE's reads, and its manual ones, applied while its last
clock report (``slave_clock``, edge.clocks) was beyond the tolerance are marked with
that offset.

Passings the SLAVE *derived* from its reads (quadreg, strongest, first) and
imported ones are skipped, though acknowledged: the MASTER derives passings
from the very same reads with the point's settings, so applying the SLAVE's
as well would count each crossing twice. Skipping them also keeps one source
of truth for derivation, and a rebuild on the MASTER gives the same result
whether the reads came over the network or from the reader log.

Everything happens in one BEGIN IMMEDIATE transaction, cursor included
(``sync_inbox.last_seq`` per sending device), so a batch is applied wholly or
not at all and two deliveries racing each other are serialised: a batch that
starts after ``last + 1`` is a gap (refused with the seq expected), one that
ends at or before ``last`` is a replay (acknowledged, nothing changes), an
overlapping one applies only its new part. The MASTER's own outbox triggers
fire for what is applied: the MASTER replicates everything to central.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.auth.limiter import LastingLimiter
from edge.clocks.alarms import DEFAULT_TOLERANCE_US
from edge.domain import Event, PassingMethod, PassingStatus, TimingPoint
from edge.domain.clock import now_us
from edge.errors import InvalidInput, NotFound, Problem, Unauthorized
from edge.roleconfig import Role, RoleConfig, load_role
from edge.services import reads as read_service
from edge.services.clocks import mark_manual, mark_passings
from edge.store.database import Database
from edge.sync.protocol import (
    Ack,
    BatchIn,
    ChangeIn,
    CheckinPayload,
    DeletedPayload,
    PassingPayload,
    ReadPayload,
    SequenceGap,
    read_batch,
)

_INSERT_READ = text(
    "INSERT OR IGNORE INTO tag_read (id, event_id, point_id, device_id, epc, antenna, rssi_dbm,"
    " reader_time_us, corrected_time_us, created_us) VALUES (:id, :event_id, :point_id,"
    " :device_id, :epc, :antenna, :rssi_dbm, :reader_time_us, :corrected_time_us, :created_us)"
)
# Only a manual passing is ever overwritten: an id that names a MASTER's own
# derived passing (ids are unique across boxes, so it cannot) stays untouched.
_UPSERT_MANUAL = text(
    "INSERT INTO passing (id, event_id, point_id, bib, epc, time_us, method, source, read_count,"
    " status, created_us) VALUES (:id, :event_id, :point_id, :bib, :epc, :time_us, 'manual',"
    " :source, :read_count, :status, :created_us) ON CONFLICT (id) DO UPDATE SET"
    " event_id = excluded.event_id, point_id = excluded.point_id, bib = excluded.bib,"
    " epc = excluded.epc, time_us = excluded.time_us, source = excluded.source,"
    " read_count = excluded.read_count, status = excluded.status"
    " WHERE passing.method = 'manual'"
)
# A pass only grows (its last read, its count): a late or replayed change never shrinks it.
_UPSERT_CHECKIN = text(
    "INSERT INTO checkin (id, event_id, device_id, epc, antenna, first_us, last_us, read_count,"
    " created_us) VALUES (:id, :event_id, :device_id, :epc, :antenna, :first_us, :last_us,"
    " :read_count, :created_us) ON CONFLICT (id) DO UPDATE SET"
    " last_us = max(checkin.last_us, excluded.last_us),"
    " read_count = max(checkin.read_count, excluded.read_count)"
)
_DELETE_MANUAL = text("DELETE FROM passing WHERE id = :id AND method = 'manual'")
_STATUSES = frozenset(s.value for s in PassingStatus)


class InboxService:
    """Receives SLAVEs' batches on the MASTER (``POST /api/v1/ingest/batches``)."""

    def __init__(
        self,
        db: Database,
        role_file: Path,
        key_attempts: LastingLimiter | None = None,
        *,
        clock_tolerance_us: int = DEFAULT_TOLERANCE_US,
    ) -> None:
        self.db = db
        self.role_file = role_file
        self.key_attempts = key_attempts  # wrong event keys per client address
        self.clock_tolerance_us = clock_tolerance_us  # beyond it a SLAVE's passings are marked

    async def authenticate(self, authorization: str | None, client: str = "?") -> None:
        """Check the event key before the body is read (a stranger's costs nothing); wrong
        keys are limited per client address (TooManyAttempts: 429 with Retry-After)."""
        role = await asyncio.to_thread(load_role, self.role_file)
        if self.key_attempts is not None:
            await self.key_attempts.check(client)
        try:
            check_event_key(role, authorization)
        except Unauthorized:
            if self.key_attempts is not None and role.event_key:
                await self.key_attempts.failed(client)
            raise

    async def receive(self, body: bytes, encoding: str | None, version: str | None = None) -> Ack:
        """Decode and validate a batch of protocol ``version`` (bounded, in a thread); apply it."""
        batch = await asyncio.to_thread(read_batch, body, encoding, version)
        return await self.apply(batch)

    async def apply(self, batch: BatchIn) -> Ack:
        """Apply the part of ``batch`` not applied yet, in one transaction; acknowledge it."""
        async with self.db.write() as session:
            connection = await session.connection()
            found = await connection.execute(
                text("SELECT last_seq FROM sync_inbox WHERE device_id = :device"),
                {"device": batch.device_id},
            )
            last = int(found.scalar() or 0)
            if batch.seq_from > last + 1:
                raise SequenceGap(last + 1)
            new = [c for c in batch.changes if c.seq > last]
            if not new:
                return Ack(acked_seq=last, applied=0)
            plan = await _plan(session, batch.device_id, new)
            if plan.reads:
                await connection.execute(_INSERT_READ, plan.reads)
            if plan.checkins:
                await connection.execute(_UPSERT_CHECKIN, plan.checkins)
            for statement, values in plan.passings:
                await connection.execute(statement, values)
            manual = [v["id"] for statement, v in plan.passings if statement is _UPSERT_MANUAL]
            # Typed on the SLAVE, so stamped by its clock: marked like its reads' passings.
            await mark_manual(session, batch.device_id, manual, self.clock_tolerance_us)
            for (event_id, point_id), epcs in plan.tags.items():
                event, point = plan.events[event_id], plan.points[point_id]
                settings = read_service.point_settings(point)
                # The same session, so passings move in the reads' own transaction.
                await read_service.rebuild_point(session, event, point, settings, epcs=epcs)
                # A SLAVE whose clock is off: its passings are marked, not silently trusted.
                times = [r["corrected_time_us"] for r in plan.reads if r["point_id"] == point_id]
                span = (min(times), max(times))
                await mark_passings(
                    session, batch.device_id, point_id, epcs, span, self.clock_tolerance_us
                )
            await connection.execute(
                text(
                    "INSERT INTO sync_inbox (device_id, last_seq, updated_us)"
                    " VALUES (:device, :seq, :now) ON CONFLICT (device_id) DO UPDATE SET"
                    " last_seq = excluded.last_seq, updated_us = excluded.updated_us"
                ),
                {"device": batch.device_id, "seq": batch.seq_to, "now": now_us()},
            )
        return Ack(acked_seq=batch.seq_to, applied=len(new))


def check_event_key(role: RoleConfig, authorization: str | None) -> None:
    """Accept ``Bearer <event key>`` only on a MASTER whose reader.json holds that key."""
    if role.role is Role.UNCONFIGURED:
        raise NotFound("this box is not configured yet and takes no batches: choose it on /setup")
    if role.role is not Role.MASTER:
        raise NotFound("this box is a SLAVE and takes no batches: forward to the MASTER")
    if not role.event_key:
        raise Unauthorized("this MASTER has no event key yet: set it on /setup (reader.json)")
    scheme, _, token = (authorization or "").partition(" ")
    given = token.strip().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given, role.event_key.encode()):
        raise Unauthorized(
            "wrong or missing event key: the SLAVE's reader.json event_key must match the MASTER's"
        )


@dataclass
class _Plan:
    """What a batch's new changes do, with every name resolved to this box's ids."""

    reads: list[dict[str, Any]] = field(default_factory=list)
    checkins: list[dict[str, Any]] = field(default_factory=list)
    passings: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    tags: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    events: dict[str, Event] = field(default_factory=dict)
    points: dict[str, TimingPoint] = field(default_factory=dict)


MASTER_OWNED = frozenset({"entrant", "results_snapshot", "correction", "results_version"})
"""Tables a SLAVE replicates (its outbox is one sequence) that the MASTER owns itself:
entrants are managed on the MASTER, results are computed there, corrected there (a
SLAVE's correction names the SLAVE's own derived passings, which the MASTER never takes)
and signed off there."""


async def _plan(session: AsyncSession, device_id: str, changes: list[ChangeIn]) -> _Plan:
    """Validate and resolve every change first, so a bad one leaves nothing applied."""
    problems: dict[str, Problem] = {}
    parsed: list[tuple[ChangeIn, BaseModel]] = []
    for change in changes:
        payload = _payload(change, problems)
        if payload is not None:
            parsed.append((change, payload))
    names = {
        (p.event, p.point)
        for _, p in parsed
        if isinstance(p, ReadPayload) or (isinstance(p, PassingPayload) and _manual(p))
    }
    places = await _places(session, names)
    plan = _Plan()
    events = await _events(session, {p.event for _, p in parsed if isinstance(p, CheckinPayload)})
    for change, payload in parsed:
        if isinstance(payload, CheckinPayload):
            event = events.get(payload.event or "")
            if event is None:
                reason = (
                    f"no event {payload.event!r} on this MASTER: load the SLAVE's event file"
                    " with `chrono-edge event load`"
                )
                where = f"seq {change.seq} ({change.table})"
                problems.setdefault(str(payload.event), Problem(where, reason))
                continue
            values = payload.model_dump(exclude={"event"}) | {"event_id": event.id}
            values["device_id"] = payload.device_id or device_id
            plan.checkins.append(values)
            continue
        if isinstance(payload, DeletedPayload):
            plan.passings.append((_DELETE_MANUAL, {"id": payload.id}))
            continue
        assert isinstance(payload, ReadPayload | PassingPayload)
        if isinstance(payload, PassingPayload) and not _manual(payload):
            continue  # derived on the SLAVE: the MASTER derives its own (module docstring)
        place = places.get((payload.event, _fold(payload.point)))
        if place is None:
            key = f"{payload.event}/{payload.point}"
            problems.setdefault(key, _unknown(change, payload.event, payload.point, places))
            continue
        event, point = place
        plan.events[event.id], plan.points[point.id] = event, point
        ids = {"id": payload.id, "event_id": event.id, "point_id": point.id}
        if isinstance(payload, ReadPayload):
            values = payload.model_dump(exclude={"event", "point"}) | ids
            values["device_id"] = payload.device_id or device_id
            plan.reads.append(values)
            plan.tags[(event.id, point.id)].add(payload.epc)
        else:
            keep = {"bib", "epc", "time_us", "source", "read_count", "status", "created_us"}
            plan.passings.append((_UPSERT_MANUAL, payload.model_dump(include=keep) | ids))
    if problems:
        listed = list(problems.values())
        first = listed[0]
        raise InvalidInput(listed, f"batch refused, nothing applied: {first.where}: {first.reason}")
    return plan


def _payload(change: ChangeIn, problems: dict[str, Problem]) -> BaseModel | None:
    """The change's payload, validated; None (and a problem) when it cannot be applied."""
    where = f"seq {change.seq} ({change.table} {change.op})"
    kinds: dict[tuple[str, str], type[BaseModel]] = {
        ("tag_read", "upsert"): ReadPayload,
        ("passing", "upsert"): PassingPayload,
        ("passing", "delete"): DeletedPayload,
        ("checkin", "upsert"): CheckinPayload,
    }
    if change.table in MASTER_OWNED:
        return None  # acknowledged, not applied: the MASTER keeps its own
    kind = kinds.get((change.table, change.op))
    if kind is None:
        reason = "this MASTER does not take such changes: update it to the SLAVE's version"
        problems.setdefault(f"{change.table}/{change.op}", Problem(where, reason))
        return None
    try:
        payload = kind.model_validate(change.payload)
    except ValidationError as error:
        first = error.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        problems.setdefault(where, Problem(where, f"payload {loc}: {first['msg']}"))
        return None
    if isinstance(payload, PassingPayload) and payload.status not in _STATUSES:
        problems.setdefault(where, Problem(where, f"unknown passing status {payload.status!r}"))
        return None
    return payload


async def _events(session: AsyncSession, slugs: set[str | None]) -> dict[str, Event]:
    """This box's events by slug, for the slugs named."""
    wanted = sorted(slug for slug in slugs if slug)
    if not wanted:
        return {}
    found = await session.exec(select(Event).where(col(Event.slug).in_(wanted)))
    return {event.slug: event for event in found.all()}


async def _places(
    session: AsyncSession, names: set[tuple[str | None, str | None]]
) -> dict[tuple[str | None, str], tuple[Event, TimingPoint]]:
    """(event slug, folded point code) -> this box's event and point, for the names known."""
    slugs = {slug for slug, _ in names if slug}
    if not slugs:
        return {}
    events = (await session.exec(select(Event).where(col(Event.slug).in_(slugs)))).all()
    by_id = {e.id: e for e in events}
    if not by_id:
        return {}
    query = select(TimingPoint).where(col(TimingPoint.event_id).in_(list(by_id)))
    points = (await session.exec(query)).all()
    return {(by_id[p.event_id].slug, _fold(p.code)): (by_id[p.event_id], p) for p in points}


def _unknown(
    change: ChangeIn,
    slug: str | None,
    code: str | None,
    places: dict[tuple[str | None, str], tuple[Event, TimingPoint]],
) -> Problem:
    where = f"seq {change.seq} ({change.table})"
    if slug not in {known for known, _ in places}:
        return Problem(
            where,
            f"no event {slug!r} on this MASTER: load the SLAVE's event file with"
            " `chrono-edge event load`",
        )
    codes = sorted(p.code for (known, _), (_, p) in places.items() if known == slug)
    return Problem(
        where, f"event {slug!r} has no timing point {code!r} here (points: {', '.join(codes)})"
    )


def _manual(payload: PassingPayload) -> bool:
    return payload.method == PassingMethod.MANUAL.value


def _fold(code: str | None) -> str:
    return (code or "").strip().casefold()
