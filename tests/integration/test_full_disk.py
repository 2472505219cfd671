"""A box whose disk fills up: no read lost, none twice, an alarm, and no process exits.

The box's data directory is a small tmpfs (``tests.diskfill``: mounting needs root; CI
runs as root and sets CHRONO_REQUIRE_ROOTFS=1, which turns the skip into a failure).
``chrono-edge serve``, ``worker`` and ``reader`` run on it as real processes, the reader
against the LLRP emulator; a filler file takes every free byte, then is removed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.rfid.emulator import BackgroundEmulator, BurstScenario
from edge.roleconfig import CentralLink, ReaderConfig, RoleConfig, save_role
from edge.store.held import HeldReads, read_held
from edge.store.reads import connect_for_reading
from tests import diskfill
from tests.integration.test_central_sync import enroll
from tests.integration.test_reader_service import EVENT, SLUG, Key, expected_keys, relative
from tests.servers import (
    central_process,
    chrono_central,
    free_port,
    postgres_database,
    wait_http,
)

pytestmark = pytest.mark.integration

MB = 1024 * 1024
WAIT_S = 30.0
REQUIRE_VARIABLE = "CHRONO_REQUIRE_ROOTFS"


@pytest.fixture
def small_box(tmp_path: Path) -> Iterator[Path]:
    """A box's data directory on a 16 MB filesystem of its own, with the event loaded."""
    if not diskfill.can_mount():
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(diskfill.MOUNT_NEEDS)
        pytest.skip(f"{diskfill.MOUNT_NEEDS}; run as root to test a full disk")
    folder = tmp_path / "box"
    with diskfill.small_disk(folder, 16 * MB):
        done = CliRunner().invoke(cli, ["--data-dir", str(folder), "event", "load", str(EVENT)])
        assert done.exit_code == 0, done.output
        yield folder


def write_role(box: Path, port: int) -> None:
    role = (
        f'{{"device_id": "box-full", "role": "master", "event": "{SLUG}", "point": "FINISH",'
        f' "reader": {{"host": "127.0.0.1", "port": {port}, "keepalive_s": 0.2,'
        ' "silence_s": 2}}'
    )
    (box / "reader.json").write_text(role, encoding="utf-8")


@contextmanager
def box_process(
    box: Path, logs: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``chrono-edge --data-dir BOX ARGS``, its log beside the test (not on the small disk);
    stopped with SIGTERM at the end if it still runs."""
    command = [sys.executable, "-m", "edge.cli", "--data-dir", str(box), *args]
    with (
        (logs / f"{args[0]}.log").open("ab") as log,
        subprocess.Popen(
            command, stdout=log, stderr=log, env={**os.environ, **(env or {})}
        ) as process,
    ):
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(WAIT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def stored_keys(database: Path) -> list[Key]:
    """The reads stored, read as the reader reads a full disk (SQLite cannot make its -shm
    file there when no process has the database open)."""
    with closing(connect_for_reading(database)) as connection:
        sql = "select epc, antenna, reader_time_us from tag_read"
        return [(e, a, t) for e, a, t in connection.execute(sql)]


def passing_tags(database: Path) -> int:
    with closing(connect_for_reading(database)) as connection:
        return int(connection.execute("select count(distinct epc) from passing").fetchone()[0])


def accounted(database: Path, sent: int, *, dropped: bool) -> HeldReads | None:
    """The reader's notice once every read sent is stored or held (or dropped)."""
    notice = read_held(database)
    if notice is None:
        return None
    counted = notice.held + len(stored_keys(database)) + (notice.dropped if dropped else 0)
    return notice if counted == sent else None


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)
    return found


def alarms_of(base: str, language: str = "en") -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{base}/api/v1/alarms/", cookies={"lang": language}, timeout=10)
    assert response.status_code == 200, response.text
    return {alarm["code"]: alarm for alarm in response.json()}


def still_running(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        assert process.poll() is None, f"{process.args!r} exited with {process.returncode}"


def test_a_full_disk_holds_the_reads_in_memory_with_an_alarm_then_stores_each_once(
    small_box: Path, tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    burst = BurstScenario(tags=100, start_s=3.0, duration_s=4.0, reads_per_s=500.0)
    expected = expected_keys(burst)
    database = small_box / "edge.db"
    emulator = emulate(burst)
    write_role(small_box, emulator.port)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        serve = stack.enter_context(
            box_process(small_box, tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port))
        )
        wait_http(f"{base}/healthz", serve)
        worker = stack.enter_context(box_process(small_box, tmp_path, "worker"))
        reader = stack.enter_context(box_process(small_box, tmp_path, "reader"))
        log = tmp_path / "reader.log"
        wait_for(lambda: " connected: FINISH" in log.read_text(encoding="utf-8"), "the reader")
        diskfill.fill(small_box)  # before the race's reads come (the burst starts 3 s in)
        assert diskfill.free_bytes(small_box) == 0

        # Every read the emulator sends is held: none stored, the alarm says how many.
        wait_for(lambda: emulator.stats.reports_sent == len(expected), "every read sent")
        held = wait_for(
            lambda: accounted(database, len(expected), dropped=False),
            "every read either stored or held",
        )
        assert held.disk_full
        assert held.held > 0
        assert held.dropped == 0
        alarm = wait_for(lambda: alarms_of(base).get("disk_full"), "the disk full alarm")
        assert alarm["severity"] == "critical"
        assert alarm["message"].startswith(f"Disk full: {held.held} reads held in memory")
        assert "reader_disconnected" not in alarms_of(base)  # it runs, it just cannot write
        french = alarms_of(base, "fr")["disk_full"]["message"]
        assert french.startswith(f"Disque plein : {held.held} lectures gardées en mémoire")
        page = httpx.get(f"{base}/setup", timeout=10)
        assert page.status_code == 200
        assert 'id="disk-full"' in page.text
        assert f"{held.held} reads held" in page.text
        # A request that must write is refused with what to do, not a 500.
        manual = httpx.post(
            f"{base}/api/v1/events/{SLUG}/points/FINISH/manual", json={"bib": "7"}, timeout=10
        )
        assert manual.status_code == 503, manual.text
        assert manual.json()["error"] == "DiskFull"
        assert "free" in manual.json()["detail"]
        assert manual.headers["Retry-After"]
        still_running(serve, worker, reader)

        diskfill.free(small_box)
        wait_for(lambda: len(stored_keys(database)) == len(expected), "every held read stored")
        wait_for(lambda: "disk_full" not in alarms_of(base), "the alarm to clear")
        assert 'id="disk-full"' not in httpx.get(f"{base}/setup", timeout=10).text
        # The live passings of the held reads are settled too: one tag, one passing here.
        wait_for(lambda: passing_tags(database) == burst.tags, "every tag's passing")
        still_running(serve, worker, reader)
        reader.send_signal(signal.SIGTERM)
        assert reader.wait(WAIT_S) == 0
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(WAIT_S) == 0

    keys = stored_keys(database)
    assert len(keys) == len(set(keys)) == len(expected)  # each read once
    assert relative(keys, min(expected.values())) == set(expected)
    assert "the disk is full" in log.read_text(encoding="utf-8")


def test_started_on_a_full_disk_the_box_reads_and_serves_and_drops_past_its_bound(
    small_box: Path, tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    """Every process starts after the disk filled (after a power cut, say): no process has
    the database open, and SQLite cannot even read it. The reader reads all the same."""
    burst = BurstScenario(tags=50, start_s=0.5, duration_s=2.0, reads_per_s=500.0)
    expected = expected_keys(burst)
    order = [(read.epc.hex().upper(), read.antenna_id, read.offset_us) for read in burst.reads()]
    bound = 300
    database = small_box / "edge.db"
    emulator = emulate(burst)
    write_role(small_box, emulator.port)
    diskfill.fill(small_box)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hold = {"CHRONO_EDGE_READER_HOLD_READS": str(bound)}
    with ExitStack() as stack:
        reader = stack.enter_context(box_process(small_box, tmp_path, "reader", env=hold))
        worker = stack.enter_context(box_process(small_box, tmp_path, "worker"))
        serve = stack.enter_context(
            box_process(small_box, tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port))
        )
        wait_http(f"{base}/healthz", serve)
        wait_for(lambda: emulator.stats.reports_sent == len(expected), "every read sent")
        held = wait_for(
            lambda: accounted(database, len(expected), dropped=True),
            "every read stored, held or dropped",
        )
        assert held.held == bound  # the queue is full: that is why reads are dropped
        assert held.dropped > 0
        alarm = wait_for(lambda: alarms_of(base).get("disk_full"), "the disk full alarm")
        assert f"{held.dropped} newer reads dropped (at most {bound} held)" in alarm["message"]
        # Pages that must read the database say what is wrong, and the processes stay up.
        console = httpx.get(f"{base}/setup", timeout=10)
        assert console.status_code == 503
        assert console.json()["error"] == "DiskFull"
        still_running(reader, worker, serve)

        diskfill.free(small_box)
        stored = len(expected) - held.dropped
        wait_for(lambda: len(stored_keys(database)) == stored, "the held reads stored")
        wait_for(lambda: "disk_full" not in alarms_of(base), "the alarm to clear")
        assert httpx.get(f"{base}/setup", timeout=10).status_code == 200
        still_running(reader, worker, serve)
        for process in (reader, worker):
            process.send_signal(signal.SIGTERM)
            assert process.wait(WAIT_S) == 0

    keys = stored_keys(database)
    assert len(keys) == len(set(keys)) == stored
    # The oldest reads were kept, the newest dropped: what is stored is the start of the race.
    assert relative(keys, order[0][2]) == set(order[:stored])
    log = (tmp_path / "reader.log").read_text(encoding="utf-8")
    assert f"{held.dropped} reads were dropped while it was full (bound {bound})" in log


ADMIN = ("ops", "a long enough password")


def central_alarms(base: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{base}/api/v1/alarms", params={"open_only": "true"}, auth=ADMIN)
    assert response.status_code == 200, response.text
    return {alarm["code"]: alarm for alarm in response.json()}


def test_the_disk_full_alarm_reaches_central_though_no_job_can_run(
    small_box: Path, tmp_path: Path, emulate: Callable[..., BackgroundEmulator]
) -> None:
    """A claim is a write: on a full disk the worker runs no job, sync.central included.
    It reports the box's alarms to central directly instead (edge.jobs.fulldisk)."""
    burst = BurstScenario(tags=50, start_s=3.0, duration_s=2.0, reads_per_s=500.0)
    expected = expected_keys(burst)
    database = small_box / "edge.db"
    emulator = emulate(burst)
    with postgres_database() as url:
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        with central_process(url, free_port(), tmp_path) as base, ExitStack() as stack:
            device, token = asyncio.run(enroll(url, f"full-{tmp_path.name}"))
            link = CentralLink(
                url=base, device_id=device, device_token=token, tunnel_address="10.77.0.3/32"
            )
            reader = ReaderConfig(host="127.0.0.1", port=emulator.port, keepalive_s=0.2)
            role = RoleConfig(
                role="master", event=SLUG, point="FINISH", reader=reader, central=link
            )
            save_role(small_box / "reader.json", role)
            fast = {"CHRONO_EDGE_SYNC_EVERY_S": "0.5"}
            worker = stack.enter_context(box_process(small_box, tmp_path, "worker", env=fast))

            def reported() -> bool:
                devices = httpx.get(f"{base}/api/v1/devices", auth=ADMIN).json()
                return devices[0]["last_seen_age_s"] is not None

            wait_for(reported, "the box's first status report")
            reading = stack.enter_context(box_process(small_box, tmp_path, "reader"))
            log = tmp_path / "reader.log"
            wait_for(lambda: " connected: FINISH" in log.read_text(encoding="utf-8"), "reader")
            diskfill.fill(small_box)

            wait_for(lambda: emulator.stats.reports_sent == len(expected), "every read sent")
            held = wait_for(
                lambda: accounted(database, len(expected), dropped=False),
                "every read either stored or held",
            )
            alarm = wait_for(lambda: central_alarms(base).get("disk_full"), "the alarm on central")
            assert alarm["severity"] == "critical"
            assert alarm["hostname"] == f"box-full-{tmp_path.name}"
            assert "reads held in memory" in alarm["message"]
            assert held.held > 0
            still_running(worker, reading)

            diskfill.free(small_box)
            wait_for(lambda: len(stored_keys(database)) == len(expected), "the held reads stored")
            wait_for(lambda: "disk_full" not in central_alarms(base), "the alarm cleared")
            still_running(worker, reading)
    keys = stored_keys(database)
    assert len(keys) == len(set(keys)) == len(expected)
    assert "reported to central directly" in (tmp_path / "worker.log").read_text(encoding="utf-8")
