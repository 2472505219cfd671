"""Role switch MASTER -> SLAVE -> MASTER under a stream of reads: nothing lost, nothing doubled.

Box B runs the three real processes (``reader`` fed by the LLRP emulator's burst,
``worker``, ``serve``); box A is the MASTER B forwards to while B is a SLAVE
(``serve``). B's role is switched by rewriting its reader.json (``save_role``),
as /setup does. At the end B holds every read the emulator sent exactly once,
A holds exactly the reads B forwarded (those B's outbox counts as acknowledged)
exactly once, and the rest stayed on B: a SLAVE turned MASTER keeps its backlog
as its own (docs/operations.md, "Switching roles"). Each switch must take effect
within 2 s in each process (the acceptance), and the figures are printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from edge.rfid.emulator.scenarios import BurstScenario, TagRead
from edge.roleconfig import ReaderConfig, Role, RoleConfig, save_role
from tests.servers import free_port, stop_all, wait_http
from tests.syncbox import SLUG, load_box, query

pytestmark = pytest.mark.integration

KEY = "role-switch-event-key"
SWITCH_S = 2.0  # the acceptance: a role change takes effect within 2 s
TAGS, RATE, DURATION = 40, 150.0, 16.0  # 2,400 reads over 16 s
DEADLINE_S = 60.0
LATE_START_US = 500_000  # the emulator plays the reads from its ROSpec's start on (within ms)


@dataclass
class Box:
    """One box's files and processes."""

    name: str
    folder: Path
    db: Path
    role_file: Path
    processes: list[subprocess.Popen[bytes]]

    def start(self, what: str, *args: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "CHRONO_EDGE_DB": str(self.db),
            "CHRONO_EDGE_ROLE_FILE": str(self.role_file),
            "CHRONO_EDGE_CACHE_FOLDER": str(self.folder / "cache"),
            "CHRONO_EDGE_KEY_FOLDER": str(self.folder / "keys"),
        }
        for name in ("READER_MODE", "READER_SERIAL", "MASTER_API_URL"):
            env.pop(name, None)  # the test's roles come from reader.json alone
        log = (self.folder / f"{what}.log").open("ab")
        command = [sys.executable, "-m", "edge.cli", "--db", str(self.db), *args]
        with log:
            process = subprocess.Popen(command, env=env, cwd=self.folder, stdout=log, stderr=log)
        self.processes.append(process)
        return process


def make_box(tmp_path: Path, name: str, stack: ExitStack) -> Box:
    folder = tmp_path / name
    db = load_box(folder / "edge.db")
    box = Box(name, folder, db, folder / "reader.json", [])
    stack.callback(stop_all, box.processes)
    return box


def wait_for(check: Callable[[], object], what: str, limit_s: float = DEADLINE_S) -> float:
    """Poll ``check`` until truthy; return the wall-clock time it first held."""
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {limit_s} s: {what}")
        time.sleep(0.02)
    return time.time()


def role_seen(base: str) -> str:
    try:
        return str(httpx.get(f"{base}/api/v1/role", timeout=2).json()["role"])
    except httpx.HTTPError:
        return ""


def count(db: Path, sql: str, *args: object) -> int:
    return int(query(db, sql, *args)[0][0])


def inbox_updated_s(master: Path, device: str) -> float | None:
    rows = query(master, "SELECT updated_us FROM sync_inbox WHERE device_id = ?", device)
    return rows[0][0] / 1e6 if rows else None


def forwarding_since(db: Path, since_s: float) -> float | None:
    """When the first forward job started after ``since_s`` that did not skip, if any."""
    rows = query(
        db,
        "SELECT min(attempted_us) FROM job WHERE kind = 'sync.forward' AND attempted_us > ?"
        " AND coalesce(result, '') NOT LIKE '%skipped%'",
        int(since_s * 1e6),
    )
    return rows[0][0] / 1e6 if rows and rows[0][0] is not None else None


def log_times(path: Path, needle: str) -> list[float]:
    """Wall-clock times (s) of the log lines containing ``needle`` (asctime, local time)."""
    times = []
    for line in path.read_text(errors="replace").splitlines():
        if needle in line:
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            times.append(stamp.timestamp())
    return times


def keys(db: Path, where: str = "", *args: object) -> list[tuple[object, ...]]:
    """(epc, antenna, reader_time_us) of reads, duplicates kept, sorted."""
    return sorted(query(db, f"SELECT epc, antenna, reader_time_us FROM tag_read {where}", *args))


def test_master_slave_master_under_a_stream_of_reads(tmp_path: Path) -> None:
    expected = list(
        BurstScenario(tags=TAGS, duration_s=DURATION, reads_per_s=RATE, antennas=(1, 2)).reads()
    )
    with ExitStack() as stack:
        a = make_box(tmp_path, "a", stack)
        b = make_box(tmp_path, "b", stack)
        a_port, b_port, llrp_port = free_port(), free_port(), free_port()
        a_url, b_url = f"http://127.0.0.1:{a_port}", f"http://127.0.0.1:{b_port}"
        save_role(
            a.role_file, RoleConfig(role=Role.MASTER, event=SLUG, point="FINISH", event_key=KEY)
        )
        reader = ReaderConfig(host="127.0.0.1", port=llrp_port, antennas=[1, 2])
        master_b = RoleConfig(
            role=Role.MASTER, event=SLUG, point="KM5", event_key=KEY, reader=reader
        )
        slave_b = master_b.model_copy(update={"role": Role.SLAVE, "master_url": a_url})
        save_role(b.role_file, master_b)
        device = master_b.device_id

        server_a = a.start("serve", "serve", "--host", "127.0.0.1", "--port", str(a_port))
        wait_http(f"{a_url}/healthz", server_a)
        server_b = b.start("serve", "serve", "--host", "127.0.0.1", "--port", str(b_port))
        wait_http(f"{b_url}/healthz", server_b)
        b.start("worker", "worker", "--concurrency", "2")
        b.start("reader", "reader")
        b.start(
            "emulator", "simulate-reader", "--host", "127.0.0.1", "--port", str(llrp_port),
            "--scenario", "burst", "--tags", str(TAGS), "--rate", str(RATE),
            "--duration", str(DURATION), "--antennas", "2", "--quiet",
        )  # fmt: skip
        stored = lambda: count(b.db, "SELECT count(*) FROM tag_read")  # noqa: E731
        wait_for(lambda: stored() > 300, "B stores the stream's first reads")

        figures: dict[str, float] = {}
        # MASTER -> SLAVE ------------------------------------------------------------
        before = stored()
        switched = time.time()
        save_role(b.role_file, slave_b)
        figures["to SLAVE: serve"] = (
            wait_for(lambda: role_seen(b_url) == "slave", "serve") - switched
        )
        # The worker has switched once a forward job runs for the new role (not skipped);
        # how long that job's first batch (B's whole backlog) takes to apply is throughput.
        figures["to SLAVE: worker (forward job starts)"] = (
            wait_for(lambda: forwarding_since(b.db, switched), "a forward job")
            and (forwarding_since(b.db, switched) or 0.0) - switched
        )
        first_batch = wait_for(lambda: inbox_updated_s(a.db, device), "A gets B's first batch")
        figures["(A has applied B's backlog, not asserted)"] = first_batch - switched
        figures["to SLAVE: reader"] = (
            wait_for(lambda: log_times(b.folder / "reader.log", "role slave"), "reader")
            and log_times(b.folder / "reader.log", "role slave")[0] - switched
        )
        assert httpx.post(f"{b_url}/api/v1/ingest/batches", content=b"{}").status_code == 404
        time.sleep(4)
        assert stored() > before  # the inventory went on through the switch
        forwarded_while_slave = count(
            a.db, "SELECT count(*) FROM tag_read WHERE device_id = ?", device
        )
        assert forwarded_while_slave > 0

        # SLAVE -> MASTER ------------------------------------------------------------
        before = stored()
        switched = time.time()
        save_role(b.role_file, master_b)
        figures["to MASTER: serve"] = (
            wait_for(lambda: role_seen(b_url) == "master", "serve") - switched
        )
        figures["to MASTER: reader"] = (
            wait_for(lambda: log_times(b.folder / "reader.log", "role master"), "reader")
            and log_times(b.folder / "reader.log", "role master")[0] - switched
        )
        # The worker has stopped forwarding once A's inbox stays still while B goes on reading.
        wait_for(lambda: stored() > before + 3 * RATE, "B reads on as MASTER")
        last = inbox_updated_s(a.db, device)
        assert last is not None
        # 0 when the last batch was taken before the switch (jobs run every 2 s).
        figures["to MASTER: worker (last batch A took)"] = max(last, switched) - switched
        finished_later = (
            "SELECT result FROM job WHERE kind = 'sync.forward' AND attempted_us > ?"
            " AND finished_us IS NOT NULL"
        )
        after_us = int((switched + SWITCH_S) * 1e6)
        wait_for(lambda: query(b.db, finished_later, after_us), "a forward job after the switch")
        later = query(b.db, finished_later, after_us)
        assert all("not a SLAVE" in str(result) for (result,) in later)

        sendable = sum(1 for r in expected if r.offset_us >= LATE_START_US)
        wait_for(lambda: stored() >= sendable, "B stores the whole burst")
        time.sleep(1.5)  # nothing more should come: the emulator's burst is over
        stop_all(b.processes)  # SIGTERM: the reader commits what it holds

        print("\nrole switch took effect after (s):")
        for what, seconds in figures.items():
            print(f"  {what:<40} {seconds:6.3f}")
        check_reads(expected, a.db, b.db, device)

        # Should B forward again one day (a SLAVE once more), its kept backlog reaches A
        # whole, and a batch cut short by the switch (applied by A, its ack lost) is
        # acknowledged as a replay: every read of B on A exactly once.
        once = tmp_path / "b" / "forward-once.json"
        save_role(once, slave_b)
        run = [sys.executable, "-m", "edge.cli", "--db", str(b.db), "forward", "--once"]
        done = subprocess.run([*run, "--role-file", str(once)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert keys(a.db, "WHERE device_id = ?", device) == keys(b.db)

    for what, seconds in figures.items():
        if not what.startswith("("):
            assert 0 <= seconds <= SWITCH_S, f"{what}: {seconds:.3f} s"


def check_reads(expected: list[TagRead], a_db: Path, b_db: Path, device: str) -> None:
    """B holds every read sent once; A holds what it applied of B's outbox once; B kept the rest."""
    # The scenario's reads from the ROSpec's start on (the emulator skips those before
    # it, a few ms' worth), in order, each once.
    b_keys = keys(b_db)
    assert len(b_keys) == len(set(b_keys))
    sent = expected[len(expected) - len(b_keys) :]
    assert sent[0].offset_us < LATE_START_US
    first = min(int(t) for _, _, t in b_keys)
    on_b = sorted((int(t) - first, str(epc), int(antenna)) for epc, antenna, t in b_keys)
    assert on_b == [
        (r.offset_us - sent[0].offset_us, r.epc.hex().upper(), r.antenna_id) for r in sent
    ]
    # A applied B's outbox up to its inbox cursor. B's own cursor may lag behind it by
    # one batch: a forward cut short by the switch, applied by A before B heard the ack.
    applied = count(a_db, "SELECT last_seq FROM sync_inbox WHERE device_id = ?", device)
    acked = count(b_db, "SELECT acked_seq FROM sync_ack WHERE target = 'master'")
    assert 0 < acked <= applied
    sent_ids = {
        row[0]
        for row in query(
            b_db, "SELECT row_id FROM outbox WHERE table_name = 'tag_read' AND seq <= ?", applied
        )
    }
    a_rows = query(a_db, "SELECT id FROM tag_read WHERE device_id = ?", device)
    assert len(a_rows) == len(sent_ids)
    assert {r[0] for r in a_rows} == sent_ids
    a_keys = keys(a_db, "WHERE device_id = ?", device)
    assert len(a_keys) == len(set(a_keys))
    assert set(a_keys) <= set(b_keys)
    kept = len(b_keys) - len(a_keys)
    assert kept > 0  # read after the switch back: B's own, as MASTER
    print(f"  reads: {len(b_keys)} on B, {len(a_keys)} forwarded to A, {kept} kept by B")
    print(f"  B's forward cursor {acked}, A applied up to {applied}")
