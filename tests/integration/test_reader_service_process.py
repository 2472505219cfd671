"""``chrono-edge reader`` as a box runs it: role-file changes, kill -9, SIGTERM, refused options."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.rfid.emulator import BackgroundEmulator, BurstScenario
from edge.rfid.supervisor import Choice, supervise
from edge.roleconfig import load_role, save_role
from edge.store.database import Database
from tests.integration.test_reader_service import (
    EVENT,
    SLUG,
    TUNING,
    WAIT_S,
    chrono,
    expected_keys,
    last_key,
    relative,
    rows,
    stored_keys,
    until,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "edge.db"
    chrono(path, "event", "load", str(EVENT))
    return path


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
