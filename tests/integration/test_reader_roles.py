"""The reader service follows reader.json's role: an UNCONFIGURED box reads nothing.

A box fresh from the image has no role: its reader service does not even connect
to the reader. Once /setup makes it a MASTER (or SLAVE) of an event and point, it
connects and stores reads within the acceptance's 2 s of the file changing; made
UNCONFIGURED again, it stops, committing every read it holds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.rfid.emulator import BackgroundEmulator, BurstScenario, offset_for_year
from edge.rfid.service import Tuning
from edge.rfid.supervisor import Choice, supervise
from edge.roleconfig import ReaderConfig, Role, RoleConfig, save_role
from edge.store.database import Database

pytestmark = pytest.mark.integration

EVENT = Path(__file__).resolve().parents[2] / "docs/examples/spring-10k.yaml"
SLUG = "spring-10k-2026"
TUNING = Tuning(connect_timeout_s=3.0, health_interval_s=0.2)
SWITCH_S = 2.0  # the acceptance: a role change takes effect within 2 s


def stored(db: Path) -> int:
    with closing(sqlite3.connect(db)) as connection:
        return int(connection.execute("SELECT count(*) FROM tag_read").fetchone()[0])


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "edge.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "event", "load", str(EVENT)])
    assert result.exit_code == 0, result.output
    return path


async def until(condition: Callable[[], bool], what: str, limit_s: float = 15.0) -> float:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit_s:g} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic()


async def test_an_unconfigured_box_reads_nothing_until_a_role_is_chosen(
    tmp_path: Path, db_file: Path
) -> None:
    burst = BurstScenario(tags=20, start_s=0.0, duration_s=60.0, reads_per_s=300.0)
    with BackgroundEmulator(burst, clock_offset_us=offset_for_year(2000)) as emulator:
        reader = ReaderConfig(port=emulator.port, keepalive_s=0.1, silence_s=0.6)
        role_file = tmp_path / "reader.json"
        fresh = RoleConfig(role=Role.UNCONFIGURED, reader=reader)
        save_role(role_file, fresh)
        db = Database(db_file)
        stop = asyncio.Event()
        task = asyncio.create_task(supervise(db, role_file, Choice(), stop, tuning=TUNING))
        try:
            await asyncio.sleep(1.5)  # a running service would have connected by now
            assert emulator.stats.connections == 0
            assert stored(db_file) == 0

            switched = time.monotonic()
            save_role(role_file, fresh.model_copy(update={"role": Role.MASTER, "event": SLUG,
                                                          "point": "FINISH"}))  # fmt: skip
            reading = await until(lambda: stored(db_file) > 0, "the first read stored")
            print(f"\nunconfigured -> MASTER: first read stored after {reading - switched:.3f} s")
            assert reading - switched <= SWITCH_S

            save_role(role_file, fresh)
            await asyncio.sleep(SWITCH_S)  # the service has stopped by now
            settled, sent = stored(db_file), emulator.stats.reports_sent
            await asyncio.sleep(1.0)
            # Idle again: the reader is no longer asked for reads, nothing more is stored.
            assert (stored(db_file), emulator.stats.reports_sent) == (settled, sent)
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
            await db.close()
    assert stored(db_file) == emulator.stats.reports_sent  # every read sent was committed
