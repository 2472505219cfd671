"""Check-in (issue 21): chips read at the check-in point through sllurp from the LLRP emulator,
into the real reader service that follows reader.json, on a real SQLite file.

Reads at the check-in antennas become check-ins, never race reads nor passings; reads at
the other antennas time the race as before. The check-in board tells a runner's first
check-in from an unknown chip, and counts who is still to check per race.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.rfid.emulator import (
    BackgroundEmulator,
    BurstScenario,
    Scenario,
    ScriptedScenario,
    TagRead,
    offset_for_year,
)
from edge.rfid.service import Tuning
from edge.rfid.supervisor import Choice, supervise
from edge.roleconfig import (
    CheckinConfig,
    ReaderConfig,
    Role,
    RoleConfig,
    load_file_role,
    save_role,
)
from edge.services.checkins import CheckinService
from edge.services.live import ChangeWatch
from edge.store.checkins import PASS_GAP_US, record_checkins
from edge.store.database import Database
from edge.store.reads import ReadIn, connect
from edge.sync.outbox import Outbox
from edge.sync.protocol import INGEST_PATH
from tests.integration.test_slave_forwarding import KEY, SLAVE, boxes, forwarder, master_process
from tests.servers import free_port
from tests.syncbox import W1_US

pytestmark = pytest.mark.integration

__all__ = ["boxes"]  # the fixture: a SLAVE's and a MASTER's databases, the MASTER's reader.json

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
TUNING = Tuning(connect_timeout_s=3.0, health_interval_s=0.2)
BIB_1 = "E2801160600002000000A001"  # docs/examples/entrants.csv
BIB_2 = "E2801160600002000000A002"
STRANGER = "E28011606000020000FFFF99"  # no entrant wears it


def chrono(db: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "edge.db"
    chrono(path, "event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono(path, "entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG)
    return path


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(sql).fetchall()


async def until(condition: Callable[[], bool], what: str, limit_s: float = 15.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit_s:g} s waiting for {what}")
        await asyncio.sleep(0.05)


def reads(epc: str, antenna: int, start_s: float, count: int) -> list[TagRead]:
    """A tag held over an antenna: ``count`` reads 20 ms apart, RSSI rising then falling."""
    return [
        TagRead(
            offset_us=int((start_s + 0.02 * n) * 1_000_000),
            epc=bytes.fromhex(epc),
            antenna_id=antenna,
            peak_rssi_dbm=-65 + min(n, count - n),
        )
        for n in range(count)
    ]


@asynccontextmanager
async def box_reading(
    db_file: Path, role_file: Path, scenario: Scenario, checkin: CheckinConfig
) -> AsyncIterator[BackgroundEmulator]:
    """The reader service of a MASTER at FINISH whose reader.json sets ``checkin``."""
    with BackgroundEmulator(scenario, clock_offset_us=offset_for_year(2000)) as emulator:
        reader = ReaderConfig(port=emulator.port, antennas=[1, 2], keepalive_s=0.1, silence_s=0.6)
        role = RoleConfig(role=Role.MASTER, event=SLUG, point="FINISH", reader=reader)
        save_role(role_file, role.model_copy(update={"checkin": checkin}))
        db = Database(db_file)
        stop = asyncio.Event()
        task = asyncio.create_task(supervise(db, role_file, Choice(), stop, tuning=TUNING))
        try:
            yield emulator
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
            await db.close()


async def test_reads_at_the_checkin_antenna_become_checkins_never_passings(
    tmp_path: Path, db_file: Path
) -> None:
    script = (
        reads(BIB_1, 2, 0.1, 25)  # runner 1 shows their chip at the check-in table
        + reads(STRANGER, 2, 0.8, 10)  # a chip nobody wears
        + reads(BIB_2, 1, 0.3, 30)  # meanwhile runner 2 crosses the finish mat
    )
    scenario = ScriptedScenario(script=tuple(script))
    checkin = CheckinConfig(antennas=[2])
    async with box_reading(db_file, tmp_path / "reader.json", scenario, checkin):
        await until(
            lambda: rows(db_file, "SELECT sum(read_count) FROM checkin")[0][0] == 35,
            "the 35 check-in reads",
        )
        await until(lambda: rows(db_file, "SELECT count(*) FROM passing")[0][0] == 1, "a passing")

    # One check-in pass per chip, every read counted; none of them is a race read.
    passes = rows(db_file, "SELECT epc, antenna, read_count, device_id FROM checkin ORDER BY epc")
    assert [(e, a, n) for e, a, n, _ in passes] == [(BIB_1, 2, 25), (STRANGER, 2, 10)]
    assert all(device for *_, device in passes)
    assert rows(db_file, "SELECT DISTINCT epc, antenna FROM tag_read") == [(BIB_2, 1)]
    assert rows(db_file, "SELECT count(*) FROM tag_read")[0][0] == 30
    # Only the finish antenna's runner has a passing: check-ins never reach the results.
    assert rows(db_file, "SELECT epc, status FROM passing") == [(BIB_2, "valid")]

    db = Database(db_file)
    try:
        board = await CheckinService(db).board(SLUG, missing=100)
    finally:
        await db.close()
    assert [(c.state, c.bib, c.epc) for c in board.recent] == [
        ("unknown", None, STRANGER),
        ("checked", "1", BIB_1),
    ]
    runner = board.recent[1]
    assert (runner.name, runner.race, runner.wave) == ("Hélène Lefèvre", "10 km", "W1")
    [race] = board.races
    assert (race.code, race.checked, race.missing_count) == ("10K", 1, race.entrants - 1)
    assert "1" not in {m.bib for m in race.missing}
    assert {"2", "3"} <= {m.bib for m in race.missing}


async def test_a_whole_box_checkin_point_stores_no_race_read(tmp_path: Path, db_file: Path) -> None:
    scenario = ScriptedScenario(script=tuple(reads(BIB_1, 1, 0.1, 10) + reads(BIB_2, 2, 0.2, 10)))
    async with box_reading(db_file, tmp_path / "reader.json", scenario, CheckinConfig(box=True)):
        await until(
            lambda: rows(db_file, "SELECT sum(read_count) FROM checkin")[0][0] == 20,
            "the 20 check-in reads",
        )
    assert rows(db_file, "SELECT epc, antenna FROM checkin ORDER BY epc") == [
        (BIB_1, 1),
        (BIB_2, 2),
    ]
    assert rows(db_file, "SELECT count(*) FROM tag_read") == [(0,)]
    assert rows(db_file, "SELECT count(*) FROM passing") == [(0,)]


async def test_a_slave_checkin_table_forwards_its_checkins_to_the_master(
    boxes: tuple[Path, Path, Path],
) -> None:
    slave, master, role_file = boxes
    entrants = str(ROOT / "docs/examples/entrants.csv")
    # The command line runs its own event loop: in a thread, away from the test's.
    await asyncio.to_thread(chrono, master, "entrants", "import", entrants, "--event", SLUG)
    start = W1_US - 30 * 60 * 1_000_000  # half an hour before the start
    with closing(connect(slave)) as connection:
        (event_id,) = connection.execute("SELECT id FROM event").fetchone()
        for at in (start, start + 40_000):  # two batches of one pass: an insert, an update
            batch = [ReadIn(BIB_1, 2, -50.0, at + n * 20_000, at + n * 20_000) for n in range(2)]
            record_checkins(connection, event_id, batch, device_id=SLAVE)
        later = start + 1_000_000
        record_checkins(connection, event_id, [ReadIn(STRANGER, 2, -60.0, later, later)])
    columns = "id, epc, antenna, first_us, last_us, read_count"
    stored = rows(slave, f"SELECT {columns} FROM checkin ORDER BY epc")
    assert [(epc, count) for _, epc, *_, count in stored] == [(BIB_1, 4), (STRANGER, 1)]

    with master_process(master, role_file, free_port()) as base:
        async with forwarder(slave, base) as pushing:
            assert await pushing.push_once() == Outbox(slave, "master").last_seq()
        assert rows(master, f"SELECT {columns} FROM checkin ORDER BY epc") == stored
        assert rows(master, "SELECT DISTINCT device_id FROM checkin") == [(SLAVE,)]
        # A replayed batch is acknowledged and changes nothing.
        batch = Outbox(slave, "master").pending(SLAVE, after=0)
        assert batch is not None
        async with httpx.AsyncClient() as client:
            replay = await client.post(
                f"{base}{INGEST_PATH}",
                content=batch.model_dump_json().encode(),
                headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            )
        assert replay.status_code == 200, replay.text
        assert rows(master, f"SELECT {columns} FROM checkin ORDER BY epc") == stored

    db = Database(master)
    try:
        board = await CheckinService(db).board(SLUG)
    finally:
        await db.close()
    assert [(c.state, c.bib) for c in board.recent] == [("unknown", None), ("checked", "1")]


async def test_a_checkin_moves_no_result_a_swap_does(db_file: Path) -> None:
    db = Database(db_file)
    try:
        watch = ChangeWatch(db)
        before = await watch.version()
        with closing(connect(db_file)) as connection:
            (event_id,) = connection.execute("SELECT id FROM event").fetchone()
            record_checkins(connection, event_id, [ReadIn(BIB_1, 4, -50.0, W1_US, W1_US)])
        # Pages, screens and the results cache recompute nothing for a check-in...
        assert await watch.version() == before
        # ...but a swap changes whose passings are whose.
        await CheckinService(db).swap(SLUG, BIB_1, "2", "bibs swapped", "Anne")
        assert await watch.version() > before
    finally:
        await db.close()


def test_a_pass_grows_until_the_chip_is_gone_and_a_replay_adds_nothing(db_file: Path) -> None:
    def chip(at_us: int) -> ReadIn:
        return ReadIn(BIB_1, 4, -50.0, at_us, at_us)

    with closing(connect(db_file)) as connection:
        (event_id,) = connection.execute("SELECT id FROM event").fetchone()
        first = [chip(W1_US + n * 100_000) for n in range(5)]
        assert record_checkins(connection, event_id, first) == 1
        assert record_checkins(connection, event_id, first) == 0  # the same batch again
        # Read on within the gap: the same pass; past it: the runner came back.
        assert record_checkins(connection, event_id, [chip(W1_US + PASS_GAP_US)]) == 0
        back = W1_US + 3 * PASS_GAP_US
        assert record_checkins(connection, event_id, [chip(back), chip(back + 50_000)]) == 1
    assert rows(db_file, "SELECT first_us, last_us, read_count FROM checkin ORDER BY first_us") == [
        (W1_US, W1_US + PASS_GAP_US, 6),
        (back, back + 50_000, 2),
    ]
    # One outbox row per pass and batch, not one per read: opened, grown, opened again.
    assert rows(db_file, "SELECT op, count(*) FROM outbox WHERE table_name = 'checkin'") == [
        ("upsert", 3)
    ]


async def test_check_in_over_the_reads_time_the_race_and_none_is_lost(
    tmp_path: Path, db_file: Path
) -> None:
    """/setup switches the check-in antenna back to timing: the reader follows without a
    restart, and every read the reader sent is stored, as a check-in or as a race read."""
    burst = BurstScenario(tags=4, start_s=0.0, duration_s=60.0, reads_per_s=200.0, antennas=(2,))
    role_file = tmp_path / "reader.json"
    async with box_reading(db_file, role_file, burst, CheckinConfig(antennas=[2])) as emulator:
        await until(lambda: checkin_reads(db_file) > 50, "check-ins")
        assert rows(db_file, "SELECT count(*) FROM tag_read") == [(0,)]
        role = load_file_role(role_file)
        save_role(role_file, role.model_copy(update={"checkin": CheckinConfig()}))
        await until(lambda: rows(db_file, "SELECT count(*) FROM tag_read")[0][0] > 50, "reads")
    checked = checkin_reads(db_file)
    timed = rows(db_file, "SELECT count(*) FROM tag_read")[0][0]
    assert checked + timed == emulator.stats.reports_sent
    assert emulator.stats.connections == 2  # the inventory restarted for the new role
    assert rows(db_file, "SELECT DISTINCT antenna FROM tag_read") == [(2,)]


def checkin_reads(db: Path) -> int:
    return int(rows(db, "SELECT coalesce(sum(read_count), 0) FROM checkin")[0][0])
