"""The reader service in the test's event loop against the LLRP emulator, on a real SQLite file.

sllurp runs its own thread and the emulator a thread of its own (``BackgroundEmulator``);
``test_reader_service_process.py`` runs it as a real ``python -m edge.cli`` process.
The emulator's reader clock reads the year 2000, as a reader without a real-time clock.
Tests wait for conditions with a deadline, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.domain.clock import from_us, now_us
from edge.rfid.emulator import (
    BackgroundEmulator,
    BurstScenario,
    Faults,
    RaceScenario,
    Scenario,
)
from edge.rfid.service import ReaderService, Tuning, resolve_target
from edge.roleconfig import ReaderConfig
from edge.store import reads as raw
from edge.store.database import Database
from edge.store.reads import ReadIn

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "docs/examples/spring-10k.yaml"
SLUG = "spring-10k-2026"
WAIT_S = 10.0
YEAR_2000 = 946_684_800_000_000
TUNING = Tuning(connect_timeout_s=3.0, health_interval_s=0.2)
Key = tuple[str, int, int]  # epc, antenna, reader time (µs)


def chrono(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "edge.db"
    chrono(path, "event", "load", str(EVENT))
    return path


def reader_config(port: int, **kw: Any) -> ReaderConfig:
    settings = {"port": port, "keepalive_s": 0.1, "silence_s": 0.6, **kw}
    return ReaderConfig.model_validate(settings)


def rows(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def stored_keys(db: Path) -> list[Key]:
    return [(e, a, t) for e, a, t in rows(db, "select epc, antenna, reader_time_us from tag_read")]


def expected_keys(scenario: Scenario) -> dict[Key, int]:
    """Every read of the scenario as (epc, antenna, offset) -> offset."""
    return {
        (read.epc.hex().upper(), read.antenna_id, read.offset_us): read.offset_us
        for read in scenario.reads()
    }


def relative(keys: list[Key], first_offset_us: int) -> set[Key]:
    """Stored reads on the scenario's time axis, given the offset of the first one sent."""
    if not keys:
        return set()
    start = min(t for _, _, t in keys) - first_offset_us
    return {(e, a, t - start) for e, a, t in keys}


def last_key(scenario: Scenario) -> tuple[Key, int]:
    """The scenario's last read and the offset of its first read."""
    reads = list(scenario.reads())
    last = reads[-1]
    return (last.epc.hex().upper(), last.antenna_id, last.offset_us), reads[0].offset_us


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # free, and nothing listens there yet


async def until(condition: Callable[[], bool], what: str, limit_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit_s:g} s waiting for {what}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def reader_service(
    db_file: Path, reader: ReaderConfig, *, slug: str = SLUG, point: str = "finish"
) -> AsyncIterator[ReaderService]:
    db = Database(db_file)
    try:
        target = await resolve_target(db, slug, point, "test-box")
        service = ReaderService(db, target, reader, tuning=TUNING)
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        try:
            yield service
        finally:
            stop.set()
            await asyncio.wait_for(task, WAIT_S)
    finally:
        await db.close()


async def test_inventory_stores_every_read_once_in_box_time_and_passings_appear_live(
    db_file: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    race = RaceScenario(runners=6, first_finish_s=0.8, spread_s=1.0, antennas=(1, 2))
    expected = expected_keys(race)
    first_offset = min(expected.values())
    emulator = emulate(race)
    started_us = now_us()
    async with reader_service(db_file, reader_config(emulator.port, antennas=[1, 2])) as service:
        # Passings appear while the service runs, once each runner has left the field.
        await until(
            lambda: rows(db_file, "select count(*) from passing")[0][0] == 6, "6 live passings"
        )
        await until(lambda: len(stored_keys(db_file)) == len(expected), "every read")
        health = service.health.snapshot()
    keys = stored_keys(db_file)
    assert len(keys) == len(set(keys)) == emulator.stats.reports_sent
    assert relative(keys, first_offset) == set(expected)
    times = rows(db_file, "select reader_time_us, corrected_time_us, created_us from tag_read")
    assert {from_us(reader).year for reader, _, _ in times} == {2000}
    # Corrected with the offset measured at connect: the box's clock, at most a few ms late
    # (the greeting's own delay), and before the read was committed.
    assert all(
        started_us < fixed < created + 20_000 < fixed + 1_000_000 for _, fixed, created in times
    )
    assert health.clock_offset_us is not None  # the reader's clock started at 2000-01-01
    assert 0 < now_us() - YEAR_2000 - health.clock_offset_us < 60_000_000
    # Each passing is within 0.15 s of the runner's true crossing, on the box's clock.
    zero_us = min(fixed for _, fixed, _ in times) - first_offset
    truth = {c.epc.hex().upper(): zero_us + c.offset_us for c in race.crossings()}
    passings = rows(db_file, "select epc, time_us, status, method from passing")
    assert {epc for epc, *_ in passings} == set(truth)
    assert all(abs(t - truth[epc]) < 150_000 for epc, t, *_ in passings)
    assert {(status, method) for _, _, status, method in passings} == {("valid", "quadreg")}
    (row,) = rows(db_file, "select connected, reads_total, reconnects, pid from reader_health")
    assert row == (0, len(expected), 0, os.getpid())  # written again when the service stopped
    assert health.connected


async def test_dropped_connection_reconnects_and_every_sent_read_is_stored_once(
    db_file: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    burst = BurstScenario(
        tags=40,
        start_s=0.1,
        duration_s=2.5,
        reads_per_s=800.0,
        faults=Faults(drop_after_reports=600),
    )
    (last, first_offset), expected = last_key(burst), expected_keys(burst)
    emulator = emulate(burst)
    async with reader_service(db_file, reader_config(emulator.port)) as service:
        await until(lambda: last in relative(stored_keys(db_file), first_offset), "the last read")
    keys = stored_keys(db_file)
    assert emulator.stats.connections == 2
    assert service.health.reconnects == 1
    assert "lost" in service.health.last_error
    assert emulator.stats.reports_sent > 600
    assert len(keys) == len(set(keys)) == emulator.stats.reports_sent
    assert relative(keys, first_offset) <= set(expected)


async def test_unreachable_reader_is_retried_with_backoff_from_half_a_second(
    db_file: Path, emulate: Callable[..., BackgroundEmulator], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()

    def delays() -> list[str]:
        return re.findall(r"retrying in ([\d.]+) s", caplog.text)

    caplog.set_level("WARNING", logger="edge.rfid.service")
    async with reader_service(db_file, reader_config(port)) as service:
        await until(lambda: len(delays()) >= 2, "two failed attempts")
        assert "cannot connect to the reader" in service.health.last_error
        emulate(BurstScenario(tags=5, start_s=0.1, duration_s=0.5), port=port)
        await until(lambda: len(stored_keys(db_file)) > 0, "reads once the reader is up")
    assert delays()[:2] == ["0.5", "1.0"]


@pytest.mark.parametrize("kind", ["unknown-type", "corrupt-report"])
async def test_garbage_frames_do_not_stop_the_service(
    db_file: Path, emulate: Callable[..., BackgroundEmulator], kind: str
) -> None:
    faults = Faults(garbage_every_reports=100, garbage_kind=kind)  # type: ignore[arg-type]
    burst = BurstScenario(tags=30, start_s=0.1, duration_s=1.5, reads_per_s=800.0, faults=faults)
    (last, first_offset), expected = last_key(burst), expected_keys(burst)
    emulator = emulate(burst)
    async with reader_service(db_file, reader_config(emulator.port)) as service:
        await until(lambda: last in relative(stored_keys(db_file), first_offset), "the last read")
    keys = stored_keys(db_file)
    assert emulator.stats.faults_injected >= 1
    assert len(keys) == len(set(keys))
    assert relative(keys, first_offset) <= set(expected)  # nothing garbled was stored
    if kind == "corrupt-report":  # sllurp's thread dies on it: the watchdog reconnects
        assert service.health.reconnects >= 1


async def test_silent_reader_is_dropped_by_the_watchdog_and_reconnected(
    db_file: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    faults = Faults(silent_after_reports=300)
    burst = BurstScenario(tags=30, start_s=0.1, duration_s=2.5, reads_per_s=600.0, faults=faults)
    (last, first_offset), expected = last_key(burst), expected_keys(burst)
    emulator = emulate(burst)
    async with reader_service(db_file, reader_config(emulator.port, silence_s=0.5)) as service:
        await until(lambda: last in relative(stored_keys(db_file), first_offset), "the last read")
    keys = stored_keys(db_file)
    assert emulator.stats.connections == 2
    assert "sent nothing for" in service.health.last_error
    assert len(keys) == len(set(keys)) == emulator.stats.reports_sent
    assert relative(keys, first_offset) <= set(expected)


async def test_reads_left_without_passings_by_a_killed_process_get_them_at_start(
    db_file: Path,
) -> None:
    db = Database(db_file)
    try:
        target = await resolve_target(db, SLUG, "FINISH", "test-box")
    finally:
        await db.close()
    peak_us = now_us() - 10_000_000
    tags = ("E2801160600002000000A001", "E2801160600002000000A002")
    reads = [
        ReadIn(epc, 1, -50 - 8 * (step / 10) ** 2, t, t)
        for epc in tags
        for step in range(-10, 11)
        for t in [peak_us + step * 50_000]
    ]
    with closing(raw.connect(db_file)) as connection:  # committed, then the process died
        raw.record_reads(connection, target.event_id, target.point_id, reads)
    assert rows(db_file, "select count(*) from passing") == [(0,)]
    # The reader is not even reachable: passings do not wait for it.
    async with reader_service(db_file, reader_config(free_port())):
        await until(lambda: rows(db_file, "select count(*) from passing") == [(2,)], "2 passings")
    passings = rows(db_file, "select epc, time_us from passing order by epc")
    assert [epc for epc, _ in passings] == list(tags)
    assert all(abs(t - peak_us) < 5_000 for _, t in passings)
