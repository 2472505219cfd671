"""A SLAVE finds its MASTER on the LAN: zeroconf announcements on loopback, real processes.

Multicast DNS works on this machine's loopback interface (two Zeroconf instances
bound to 127.0.0.1 hear each other), so the tests announce and browse there.
Each test uses its own event slug and device ids, so announcements of other
boxes on the same machine cannot be mistaken for the ones under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest

from edge.fleet.discovery import DiscoveredMaster, announce, discover_masters
from edge.jobs.catalog import DISCOVERY_S
from edge.roleconfig import Role, RoleConfig, save_role
from edge.store import migrate
from edge.store.reads import connect, record_reads
from tests.servers import free_port, wait_http
from tests.syncbox import EVENT_FILE, W1_US, crossing, query

pytestmark = pytest.mark.integration

LOOPBACK = ["127.0.0.1"]
KEY = "discovery-event-key"
SWITCH_S = 2.0  # the acceptance: a role change takes effect within 2 s
LISTEN_S = DISCOVERY_S
"""How long the tests browse: what the SLAVE's worker does. A responder does not multicast a
record again within 1 s of announcing it (RFC 6762 §6), so a browser started right after the
announcement, as here, hears it only at its second query, about 1 s in."""


def mine(found: list[DiscoveredMaster], *devices: str) -> list[DiscoveredMaster]:
    return [m for m in found if m.device_id in devices]


def test_a_master_is_found_with_its_event_and_url_and_gone_once_withdrawn() -> None:
    run = uuid.uuid4().hex[:8]
    first, second = f"box-a-{run}", f"box-b-{run}"
    with (
        announce(
            url="http://127.0.0.1:8001", device_id=first, event=f"ev-{run}", version="1.2.3",
            port=8001, interfaces=LOOPBACK,
        ),
        announce(
            url="", device_id=second, event=f"other-{run}", version="1.2.3", port=8002,
            interfaces=LOOPBACK,
        ) as other,
    ):  # fmt: skip
        assert other.url == "http://127.0.0.1:8002"  # no URL given: the address announced
        everyone = mine(discover_masters(LISTEN_S, interfaces=LOOPBACK), first, second)
        only = discover_masters(LISTEN_S, f"ev-{run}", interfaces=LOOPBACK)
    assert [(m.device_id, m.event, m.url) for m in everyone] == [
        (first, f"ev-{run}", "http://127.0.0.1:8001"),
        (second, f"other-{run}", "http://127.0.0.1:8002"),
    ]
    assert [(m.device_id, m.version, m.addresses) for m in only] == [
        (first, "1.2.3", ("127.0.0.1",))
    ]
    assert mine(discover_masters(LISTEN_S, interfaces=LOOPBACK), first, second) == []


def load_event(db: Path, slug: str) -> None:
    """The example event under ``slug`` (a slug no other box on this machine announces)."""
    migrate.upgrade(db)
    source = db.parent / "event.yaml"
    source.write_text(EVENT_FILE.read_text().replace("spring-10k-2026", slug, 1))
    run_cli(db, None, "event", "load", str(source))


def run_cli(db: Path, role_file: Path | None, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "edge.cli", "--db", str(db), *args],
        env=box_env(db, role_file),
        check=True,
        capture_output=True,
    )


def box_env(db: Path, role_file: Path | None) -> dict[str, str]:
    env = {**os.environ, "CHRONO_EDGE_DB": str(db)}
    for name in ("READER_MODE", "READER_SERIAL", "MASTER_API_URL"):
        env.pop(name, None)
    if role_file is not None:
        env["CHRONO_EDGE_ROLE_FILE"] = str(role_file)
    return env


@contextmanager
def process(db: Path, role_file: Path, name: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    log = (db.parent / f"{name}.log").open("ab")
    command = [sys.executable, "-m", "edge.cli", "--db", str(db), *args]
    env = box_env(db, role_file)
    with log, subprocess.Popen(command, env=env, cwd=db.parent, stdout=log, stderr=log) as child:
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_for(check: Callable[[], object], what: str, limit_s: float = 60.0) -> float:
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {limit_s} s: {what}")
        time.sleep(0.05)
    return time.time()


def test_serve_announces_while_master_and_a_slave_forwards_to_what_it_finds(
    tmp_path: Path,
) -> None:
    slug = f"discovery-{uuid.uuid4().hex[:8]}"
    master_db, slave_db = tmp_path / "a" / "edge.db", tmp_path / "b" / "edge.db"
    master_db.parent.mkdir()
    slave_db.parent.mkdir()
    load_event(master_db, slug)
    load_event(slave_db, slug)
    master_role, slave_role = tmp_path / "a" / "reader.json", tmp_path / "b" / "reader.json"
    master = RoleConfig(role=Role.MASTER, event=slug, point="FINISH", event_key=KEY)
    save_role(master_role, master)
    slave = RoleConfig(role=Role.SLAVE, event=slug, point="KM5", event_key=KEY, discovery=True)
    save_role(slave_role, slave)
    with closing(connect(slave_db)) as connection:
        event_id, point_id = connection.execute(
            "SELECT e.id, p.id FROM timing_point p JOIN event e ON e.id = p.event_id"
            " WHERE e.slug = ? AND p.code = 'KM5'",
            (slug,),
        ).fetchone()
        reads = [r for bib in range(5) for r in crossing(f"E200{bib:04d}", W1_US + bib * 10**6)]
        assert record_reads(connection, event_id, point_id, reads, device_id=slave.device_id)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with process(master_db, master_role, "serve", "serve", "--port", str(port)) as server:
        wait_http(f"{base}/healthz", server)
        wait_for(lambda: httpx.get(f"{base}/api/v1/role").json()["announced"], "announcement")
        found = discover_masters(LISTEN_S, slug)
        assert [(m.device_id, m.url) for m in found] == [(master.device_id, base)]

        # The SLAVE has no master_url: its worker forwards to the MASTER it discovers.
        with process(slave_db, slave_role, "worker", "worker", "--concurrency", "2"):
            wait_for(
                lambda: query(master_db, "SELECT count(*) FROM tag_read")[0][0] == len(reads),
                "the SLAVE's reads reach the discovered MASTER",
            )
        rows = query(master_db, "SELECT DISTINCT device_id FROM tag_read")
        assert rows == [(slave.device_id,)]

        # Turned SLAVE itself, the box withdraws its announcement within 2 s.
        switched = time.time()
        save_role(master_role, master.model_copy(update={"role": Role.SLAVE, "master_url": base}))
        gone = wait_for(
            lambda: not httpx.get(f"{base}/api/v1/role").json()["announced"], "withdrawal"
        )
        print(f"\nannouncement withdrawn {gone - switched:.3f} s after the switch to SLAVE")
        assert gone - switched <= SWITCH_S
        assert discover_masters(LISTEN_S, slug) == []
