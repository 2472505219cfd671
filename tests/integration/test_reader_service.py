"""``chrono-edge reader`` against the LLRP reader emulator over TCP, on a real SQLite file.

sllurp runs its own thread and the emulator a thread of its own (``BackgroundEmulator``);
the service runs in the test's event loop or as a real ``python -m edge.cli`` process.
The emulator's reader clock reads the year 2000, as a reader without a real-time clock.
Tests wait for conditions with a deadline, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, closing
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
    offset_for_year,
)
from edge.rfid.service import ReaderService, Tuning, resolve_target
from edge.rfid.supervisor import Choice, supervise
from edge.roleconfig import ReaderConfig, load_role, save_role
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


@pytest.fixture
def emulate() -> Iterator[Callable[..., BackgroundEmulator]]:
    with ExitStack() as stack:

        def start(scenario: Scenario, **kw: Any) -> BackgroundEmulator:
            kw.setdefault("clock_offset_us", offset_for_year(2000))
            return stack.enter_context(BackgroundEmulator(scenario, **kw))

        yield start


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
async def reader_service(db_file: Path, reader: ReaderConfig) -> AsyncIterator[ReaderService]:
    db = Database(db_file)
    try:
        target = await resolve_target(db, SLUG, "finish", "test-box")
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


# The service as a process: what systemd runs on a box.

COMMITTED = re.compile(
    r"committed (\d+) reads \((\d+) new\) reader time (\d+)\.\.(\d+), total (\d+)"
)
STOPPED = re.compile(r"stopped: (\d+) reads received, (\d+) committed \((\d+) new\)")


def write_role(tmp_path: Path, port: int, **reader: float) -> Path:
    role = {
        "device_id": "box-under-test",
        "event": SLUG,
        "point": "FINISH",
        "reader": {"host": "127.0.0.1", "port": port, "keepalive_s": 0.2, "silence_s": 2, **reader},
    }
    path = tmp_path / "reader.json"
    path.write_text(json.dumps(role), encoding="utf-8")
    return path


def reader_command(db: Path, role: Path) -> list[str]:
    return [sys.executable, "-m", "edge.cli", "--db", str(db), "reader", "--role-file", str(role)]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


async def test_role_change_moves_reading_to_the_new_point_without_losing_a_read(
    db_file: Path, tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    burst = BurstScenario(tags=20, start_s=0.1, duration_s=20.0, reads_per_s=500.0)
    emulator = emulate(burst)
    role_file = write_role(tmp_path, emulator.port, keepalive_s=0.1, silence_s=0.6)
    role = load_role(role_file)

    def count_at(point: str) -> int:
        sql = "select count(*) from tag_read r join timing_point p on p.id = r.point_id"
        return int(rows(db_file, sql + " where p.code = ?", point)[0][0])

    db = Database(db_file)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise(db, role_file, Choice(), stop, tuning=TUNING, poll_s=0.1))
    try:
        await until(lambda: count_at("FINISH") >= 100, "reads at FINISH")
        save_role(role_file, role.model_copy(update={"point": "KM5"}))
        await until(lambda: count_at("KM5") >= 100, "reads at KM5 after the change")
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)
        await db.close()
    keys = stored_keys(db_file)
    assert emulator.stats.connections == 2
    assert len(keys) == len(set(keys)) == emulator.stats.reports_sent


def test_kill_9_mid_burst_then_restart_keeps_every_committed_read_exactly_once(
    db_file: Path, tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    burst = BurstScenario(tags=200, start_s=0.1, duration_s=6.0, reads_per_s=1500.0)
    (last, first_offset), expected = last_key(burst), expected_keys(burst)
    emulator = emulate(burst)
    command = [*reader_command(db_file, write_role(tmp_path, emulator.port)), "--verbose"]
    log_a = tmp_path / "first.log"

    def acked() -> list[tuple[int, ...]]:
        text = log_a.read_text(encoding="utf-8")
        return [tuple(map(int, match)) for match in COMMITTED.findall(text)]

    with log_a.open("w") as err, subprocess.Popen(command, stderr=err) as first:
        wait_for(lambda: bool(acked()) and acked()[-1][4] >= 1500, "1,500 acknowledged reads")
        first.send_signal(signal.SIGKILL)
        assert first.wait(WAIT_S) == -signal.SIGKILL
    batches = acked()
    before = stored_keys(db_file)
    total = batches[-1][4]
    assert len(before) >= total  # a commit may land just before its log line
    for size, _, low, high, _ in batches:
        (count,) = rows(
            db_file, "select count(*) from tag_read where reader_time_us between ? and ?", low, high
        )[0]
        assert count >= size
    assert emulator.stats.reports_sent < len(expected)  # killed mid-burst

    with (tmp_path / "second.log").open("w") as err, subprocess.Popen(command, stderr=err) as again:
        wait_for(lambda: last in relative(stored_keys(db_file), first_offset), "the last read")
        again.send_signal(signal.SIGTERM)
        assert again.wait(WAIT_S) == 0
    after = stored_keys(db_file)
    assert set(before) <= set(after)
    duplicates = rows(
        db_file,
        "select epc, antenna, reader_time_us from tag_read"
        " group by epc, antenna, reader_time_us having count(*) > 1",
    )
    assert duplicates == []
    assert relative(after, first_offset) <= set(expected)
    assert len(after) <= emulator.stats.reports_sent


def test_sigterm_commits_every_read_received_and_exits_0(
    db_file: Path, tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    burst = BurstScenario(tags=100, start_s=0.1, duration_s=30.0, reads_per_s=1000.0)
    emulator = emulate(burst)
    log = tmp_path / "reader.log"
    command = reader_command(db_file, write_role(tmp_path, emulator.port))
    with log.open("w") as err, subprocess.Popen(command, stderr=err) as process:
        wait_for(lambda: len(stored_keys(db_file)) >= 500, "500 stored reads")
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT_S) == 0
    text = log.read_text(encoding="utf-8")
    assert "reader 127.0.0.1" in text
    assert " connected: FINISH at spring-10k-2026" in text
    match = STOPPED.search(text)
    assert match is not None, text
    received, committed, new = map(int, match.groups())
    assert received == committed == new == len(stored_keys(db_file))
    # The inventory was stopped politely: every report the reader sent reached the box.
    assert committed == emulator.stats.reports_sent
    (row,) = rows(db_file, "select connected, reads_total, pid from reader_health")
    assert row == (0, committed, process.pid)


def test_unknown_point_is_refused_with_a_clear_message(db_file: Path, tmp_path: Path) -> None:
    role = write_role(tmp_path, 9)
    result = CliRunner().invoke(
        cli, ["--db", str(db_file), "reader", "--role-file", str(role), "--point", "KM42"]
    )
    assert result.exit_code == 1
    assert "no timing point 'KM42'" in result.output
