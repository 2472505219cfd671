"""Clocks on a box: its own (chrony), its readers', and its SLAVEs' offsets to the MASTER.

The MASTER stores each SLAVE's clock report (``record_report``) and, when it applies a
SLAVE's reads, marks the passings they made while that SLAVE was further off than the
tolerance (``mark_passings``): such a passing is shown and exported with its offset, not
silently trusted. ``state`` gathers what /setup and the console show, and what
``edge.clocks.alarms.clock_alarms`` turns into alarms.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.clocks.alarms import (
    DEFAULT_TOLERANCE_US,
    ClockState,
    ReaderClock,
    SlaveClock,
    over_tolerance,
    unsynchronised_reason,
)
from edge.clocks.chrony import ChronyState, read_chrony
from edge.clocks.probe import ClockProbe
from edge.domain import ReaderHealth, SlaveClockRow
from edge.domain.clock import now_us
from edge.settings import Settings
from edge.store.database import Database
from edge.store.slave_clocks import UPSERT

_MARK = text(
    "UPDATE passing SET clock_offset_us = :offset WHERE point_id = :point"
    " AND method IN ('quadreg', 'strongest', 'first') AND epc IN :epcs"
    " AND time_us BETWEEN :low AND :high AND clock_offset_us IS NULL"
).bindparams(bindparam("epcs", expanding=True))
_MARK_MANUAL = text(
    "UPDATE passing SET clock_offset_us = :offset WHERE id IN :ids AND method = 'manual'"
    " AND clock_offset_us IS NULL"
).bindparams(bindparam("ids", expanding=True))


REPORT_FRESH_S = 300
"""A SLAVE's clock report older than this is not shown (a SLAVE of an earlier event)."""
CHRONY_FRESH_S = 2.0
"""How long what chronyd said is reused: every open console asks for the alarms every 3 s
and each answer would otherwise run chronyc twice (tracking, sources); chrony itself
updates its estimates every few seconds at best."""
_chrony_said: dict[str, tuple[float, ChronyState]] = {}
"""chronyd's last answer per command socket ("": the system's), with when it was asked."""


async def recent_chrony(socket: str) -> ChronyState:
    """What chronyd at ``socket`` says, asked again only when the last answer is stale."""
    said = _chrony_said.get(socket)
    if said is not None and time.monotonic() - said[0] < CHRONY_FRESH_S:
        return said[1]
    state = await read_chrony(host=socket or None)
    _chrony_said[socket] = (time.monotonic(), state)
    return state


class ClockService:
    """Clock reports on the MASTER, and the clock state of this box."""

    def __init__(
        self, db: Database, tolerance_us: int = DEFAULT_TOLERANCE_US, chrony_socket: str = ""
    ) -> None:
        self.db = db
        self.tolerance_us = tolerance_us
        self.chrony_socket = chrony_socket  # chronyc -h; "": the system's chronyd

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> ClockService:
        """The service with the settings' tolerance and chronyd."""
        return cls(db, round(settings.clock_tolerance_ms * 1000), settings.chrony_socket)

    async def record_report(self, probe: ClockProbe) -> None:
        """Store a SLAVE's report of its offset to this MASTER (nothing when it has none yet)."""
        report = probe.report
        if report is None:
            return
        values = {
            "device_id": probe.device_id,
            "point": probe.point,
            "offset_us": report.offset_us,
            "delay_us": report.delay_us,
            "samples": report.samples,
            "measured_us": report.measured_us,
            "received_us": now_us(),
        }
        async with self.db.write() as session:
            await (await session.connection()).execute(text(UPSERT), values)

    async def slaves(self) -> list[SlaveClock]:
        """Every clock report stored here, by device id."""
        async with self.db.read() as session:
            rows = (
                await session.exec(select(SlaveClockRow).order_by(col(SlaveClockRow.device_id)))
            ).all()
        return [
            SlaveClock(r.device_id, r.point, r.offset_us, r.delay_us, r.received_us) for r in rows
        ]

    async def readers(self) -> list[ReaderClock]:
        """Each reader's clock: reader minus box at connect, and its drift since."""
        async with self.db.read() as session:
            rows = (await session.exec(select(ReaderHealth).order_by(ReaderHealth.reader))).all()
        return [
            ReaderClock(
                r.reader,
                None if r.clock_offset_us is None else -r.clock_offset_us,
                r.clock_drift_us,
            )
            for r in rows
        ]

    async def state(
        self, device_id: str, *, chrony: ChronyState | None = None, master: bool = True
    ) -> ClockState:
        """This box's clock state; ``device_id``'s own report is its offset to the MASTER."""
        if chrony is None:
            chrony = await recent_chrony(self.chrony_socket)
        fresh_after = now_us() - REPORT_FRESH_S * 1_000_000
        slaves = [s for s in await self.slaves() if s.measured_us >= fresh_after]
        own = next((s for s in slaves if s.device_id == device_id), None)
        others = tuple(s for s in slaves if s.device_id != device_id) if master else ()
        return ClockState(
            chrony,
            readers=tuple(await self.readers()),
            slaves=others,
            own_offset=None if master else own,
        )


async def mark_manual(
    session: AsyncSession, device_id: str, ids: Collection[str], tolerance_us: int
) -> int:
    """Mark the manual passings ``ids`` (typed on ``device_id``, stamped by its clock) when
    its last clock report is beyond the tolerance; return how many."""
    offset = await _offset_beyond(session, device_id, tolerance_us)
    if offset is None or not ids:
        return 0
    connection = await session.connection()
    done = await connection.execute(_MARK_MANUAL, {"offset": offset, "ids": sorted(ids)})
    return int(done.rowcount or 0)


async def _offset_beyond(session: AsyncSession, device_id: str, tolerance_us: int) -> int | None:
    """``device_id``'s last reported offset if beyond the tolerance, else None."""
    connection = await session.connection()
    found = await connection.execute(
        text("SELECT offset_us FROM slave_clock WHERE device_id = :device"), {"device": device_id}
    )
    offset = found.scalar()
    if offset is None or not over_tolerance(int(offset), tolerance_us):
        return None
    return int(offset)


async def mark_passings(
    session: AsyncSession,
    device_id: str,
    point_id: str,
    epcs: Collection[str],
    span_us: tuple[int, int],
    tolerance_us: int,
) -> int:
    """Mark the derived passings of ``epcs`` at the point within ``span_us`` when
    ``device_id``'s last clock report is beyond the tolerance; return how many."""
    offset = await _offset_beyond(session, device_id, tolerance_us)
    if offset is None or not epcs:
        return 0
    low, high = span_us
    connection = await session.connection()
    done = await connection.execute(
        _MARK, {"offset": offset, "point": point_id, "epcs": sorted(epcs), "low": low, "high": high}
    )
    return int(done.rowcount or 0)


@dataclass(frozen=True)
class ClockView:
    """The clock state as the pages and the API show it (offsets in µs)."""

    synchronised: bool
    source: str  # the source chrony follows ("" when none)
    stratum: int | None
    offset_us: int | None  # chrony's estimate of this clock's error
    problem: str  # why it is not synchronised, in a sentence ("" when it is)
    readers: list[ReaderClock]
    slaves: list[SlaveClock]  # on a MASTER: its SLAVEs' offsets to it
    master_offset: SlaveClock | None  # on a SLAVE: its offset to the MASTER
    tolerance_us: int


def clock_view(state: ClockState, tolerance_us: int) -> ClockView:
    """What to show of ``state``."""
    chrony = state.chrony
    tracking = chrony.tracking
    source = chrony.source
    return ClockView(
        synchronised=chrony.synchronised,
        source=(source.name if source else tracking.reference if tracking else ""),
        stratum=tracking.stratum if tracking else None,
        offset_us=tracking.offset_us if tracking else None,
        problem="" if chrony.synchronised else unsynchronised_reason(chrony),
        readers=list(state.readers),
        slaves=list(state.slaves),
        master_offset=state.own_offset,
        tolerance_us=tolerance_us,
    )
