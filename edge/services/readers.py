"""Reader health as the reader service last wrote it, and what the front panel shows."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, func, select

from edge.domain import Passing
from edge.domain.clock import now_us
from edge.domain.health import STALE_AFTER_S, ReaderHealth
from edge.domain.sync import SyncAck
from edge.store.database import Database

_SECOND = 1_000_000


@dataclass(frozen=True)
class ReaderStatus:
    """One reader connection, with whether its service is still writing its health."""

    reader: str
    event: str
    point: str
    connected: bool
    service_running: bool
    connected_since_us: int | None
    last_read_us: int | None
    last_message_us: int | None
    reads_total: int
    reads_per_s: dict[str, float]
    clock_offset_us: int | None
    reconnects: int
    last_error: str
    updated_us: int

    def reading(self, now: int, window_us: int = 2 * _SECOND) -> bool:
        """Whether tags were read within the last ``window_us``."""
        return self.usable and self.last_read_us is not None and now - self.last_read_us < window_us

    @property
    def usable(self) -> bool:
        """Connected, and the service that says so is alive."""
        return self.connected and self.service_running


@dataclass(frozen=True)
class SyncLink:
    """How a forwarding link (to the MASTER, to central) is doing."""

    target: str
    acked_seq: int
    failing: bool
    last_error: str


class ReaderHealthService:
    """Health of the readers and of the links, for the API and the front panel."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list_readers(self, *, now: int | None = None) -> list[ReaderStatus]:
        """Every reader the box has talked to, by address."""
        now = now_us() if now is None else now
        async with self.db.read() as session:
            rows = (await session.exec(select(ReaderHealth).order_by(ReaderHealth.reader))).all()
        return [_status(row, now) for row in rows]

    async def links(self) -> list[SyncLink]:
        """Every forwarding link and whether its last attempt failed."""
        async with self.db.read() as session:
            rows = (await session.exec(select(SyncAck).order_by(SyncAck.target))).all()
        return [SyncLink(r.target, r.acked_seq, r.attempts > 0, r.last_error) for r in rows]

    async def passings_since(self, created_us: int) -> tuple[int, int]:
        """How many passings were recorded after ``created_us``, and the newest creation time."""
        async with self.db.read() as session:
            query = select(func.count(), func.max(Passing.created_us)).where(
                col(Passing.created_us) > created_us
            )
            count, newest = (await session.exec(query)).one()
        return int(count), int(newest) if newest is not None else created_us


def _status(row: ReaderHealth, now: int) -> ReaderStatus:
    return ReaderStatus(
        reader=row.reader,
        event=row.event_slug,
        point=row.point_code,
        connected=row.connected,
        service_running=now - row.updated_us <= STALE_AFTER_S * _SECOND,
        connected_since_us=row.connected_since_us,
        last_read_us=row.last_read_us,
        last_message_us=row.last_message_us,
        reads_total=row.reads_total,
        reads_per_s={str(k): float(v) for k, v in json.loads(row.reads_per_s or "{}").items()},
        clock_offset_us=row.clock_offset_us,
        reconnects=row.reconnects,
        last_error=row.last_error,
        updated_us=row.updated_us,
    )
