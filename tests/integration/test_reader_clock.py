"""A reader's clock offset and its drift since connect, measured by the reader service.

The LLRP emulator's clock reads the year 2000 and runs 20 ms per second fast
(``clock_drift_ppm``), as a reader's quartz may after hours in the cold; sllurp reads it
over TCP. The drift shows in the reader's health row and raises ``reader_clock_drift``
once beyond the tolerance (20 ms); a reader keeping time raises nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.clocks.alarms import ClockState, clock_alarms
from edge.clocks.chrony import ChronyState
from edge.rfid.emulator import BackgroundEmulator, BurstScenario
from edge.services.clocks import ClockService
from edge.store.database import Database
from tests.integration.test_reader_service import (
    db_file,
    reader_config,
    reader_service,
    rows,
    until,
)

pytestmark = pytest.mark.integration

__all__ = ["db_file"]  # the fixture: the example event loaded in a fresh box

FAST_PPM = 20_000.0  # 20 ms per second
READING_S = 3.0


async def drift_after_reading(
    db_file: Path, emulate: Callable[..., BackgroundEmulator], ppm: float
) -> tuple[int, float, int]:
    """(drift the service measured, seconds it was connected, drift the clocks made) after
    READING_S of dense reads from a reader whose clock runs ``ppm`` fast."""
    burst = BurstScenario(tags=40, duration_s=READING_S + 1, reads_per_s=300.0, antennas=(1,))
    emulator = emulate(burst, clock_drift_ppm=ppm)
    async with reader_service(db_file, reader_config(emulator.port, antennas=[1])) as service:
        await until(lambda: service.health.snapshot().connected, "the reader connected", 10)
        connected_us = service.health.connected_since_us
        assert connected_us is not None
        await asyncio.sleep(READING_S)
        health = service.health.snapshot()
    assert health.last_read_us is not None
    seconds = (health.last_read_us - connected_us) / 1e6
    assert health.clock_drift_us is not None
    return health.clock_drift_us, seconds, round(seconds * ppm)


async def test_a_reader_clock_running_fast_drifts_and_raises_the_alarm(
    db_file: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    measured, seconds, made = await drift_after_reading(db_file, emulate, FAST_PPM)
    assert seconds > 2.0
    assert abs(measured - made) < 10_000, (measured, made)  # within 10 ms of what it drifted
    [(stored,)] = rows(db_file, "select clock_drift_us from reader_health")
    assert abs(stored - made) < 15_000

    db = Database(db_file)
    try:
        [reader] = await ClockService(db).readers()
    finally:
        await db.close()
    assert reader.drift_us == stored
    assert reader.offset_us is not None
    assert reader.offset_us < -26 * 365 * 86_400 * 1_000_000  # the year 2000: decades behind
    synced = ChronyState(problem="")  # the box's own clock aside
    alarms = clock_alarms(ClockState(synced, readers=(reader,)))
    assert "reader_clock_drift" in [a.code for a in alarms]


async def test_a_reader_keeping_time_does_not_drift(
    db_file: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    measured, seconds, _ = await drift_after_reading(db_file, emulate, 0.0)
    assert seconds > 2.0
    assert abs(measured) < 10_000, measured
