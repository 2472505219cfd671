"""Replication from boxes: batches applied once, in order, each in one transaction.

The contract (docs/architecture.md, "A read, from the antenna to central"): a batch
carries the changes ``seq_from..seq_to`` of one device's outbox. Central keeps the last seq applied
per device; a batch that starts after ``last + 1`` is a gap and is refused with
the seq central expects; a batch already applied (a retry after a lost ack) is
acknowledged without changing anything; an overlapping one applies only its new
part. The device's cursor row is locked for the transaction, so two deliveries
of the same batch racing each other cannot both apply it. A device writes only
its own event's rows (``central.services.event_scope``): the whole batch is
checked, and results snapshots validated, before anything is written.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import col, select

from central.errors import Forbidden, Invalid, NotFound
from central.services.event_scope import check_event_scope
from central.services.public import ResultsPayload, parse_results, publish
from central.store.database import CentralDatabase
from central.store.models import Device, DeviceChange
from edge.domain.clock import now_us
from edge.errors import InvalidInput
from edge.sync import protocol
from edge.sync.protocol import MAX_CHANGES, Ack, BatchIn, ChangeIn, SequenceGap
from edge.sync.snapshots import RESULTS_TABLE

__all__ = ["MAX_CHANGES", "Ack", "BatchIn", "ChangeIn", "ReplicationService", "SequenceGap"]


def parse_batch(body: bytes, encoding: str | None = None, version: str | None = None) -> BatchIn:
    """Gunzip (bounded) and validate a batch of protocol ``version`` (edge.sync.protocol)."""
    try:
        return protocol.read_batch(body, encoding, version)
    except InvalidInput as error:
        raise Invalid(error.message) from error


class ReplicationService:
    """Applies boxes' batches and answers what each device has delivered."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db

    async def apply(self, device: Device, batch: BatchIn) -> Ack:
        """Apply a batch of ``device`` (its token proved who it is) in one transaction."""
        if batch.device_id != device.id:
            raise Forbidden("a device token can only write its own device's data")
        check_event_scope(device, batch.changes)
        published = _results(batch.changes)
        now = now_us()
        async with self.db.write() as session:
            query = select(Device.last_seq).where(Device.id == device.id)
            if not self.db.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serialises writers
                query = query.with_for_update()
            last = (await session.exec(query)).first()
            if last is None:
                raise NotFound(f"device {device.id} is not enrolled")
            if batch.seq_from > last + 1:
                raise SequenceGap(last + 1, receiver="central")
            new = [c for c in batch.changes if c.seq > last]
            if new:
                rows = [
                    {
                        "device_id": device.id,
                        "seq": c.seq,
                        "table_name": c.table,
                        "op": c.op,
                        "row_id": c.row_id,
                        "payload": _json(c.payload),
                        "received_us": now,
                    }
                    for c in new
                ]
                await (await session.connection()).execute(insert(DeviceChange), rows)
                for change in new:
                    if change.seq in published:
                        await publish(session, device.id, published[change.seq], now)
            acked = max(last, batch.seq_to)
            await session.exec(
                update(Device)
                .where(col(Device.id) == device.id)
                .values(last_seq=acked, last_seen_us=now)
            )
        return Ack(acked_seq=acked, applied=len(new))

    async def cursor(self, device: Device) -> int:
        """The last seq central holds for ``device``."""
        async with self.db.read() as session:
            last = (await session.exec(select(Device.last_seq).where(Device.id == device.id))).one()
        return int(last)

    async def changes_after(self, device_id: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` changes of a device with seq > ``after``, in seq order."""
        async with self.db.read() as session:
            rows = await session.exec(
                select(DeviceChange)
                .where(DeviceChange.device_id == device_id, col(DeviceChange.seq) > after)
                .order_by(col(DeviceChange.seq))
                .limit(limit)
            )
            return [
                {
                    "seq": r.seq,
                    "table": r.table_name,
                    "op": r.op,
                    "row_id": r.row_id,
                    "payload": json.loads(r.payload),
                }
                for r in rows.all()
            ]


def _results(changes: list[ChangeIn]) -> dict[int, ResultsPayload]:
    """The batch's results snapshots by seq, all validated before anything is written."""
    return {
        c.seq: parse_results(c.seq, c.payload)
        for c in changes
        if c.table == RESULTS_TABLE and c.op == "upsert"
    }


def _json(payload: dict[str, object]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)
