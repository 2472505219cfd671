"""/setup's actions through its API and its forms: role, event file, reader test, enrollment.

Real things only: the app on SQLite and reader.json in tmp_path, the LLRP emulator as a
``chrono-edge simulate-reader`` process, central as a ``chrono-central serve`` process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.domain.clock import now_us
from edge.domain.health import ReaderHealth
from edge.fleet.discovery import announce
from edge.roleconfig import ReaderConfig, RoleConfig, load_file_role, save_role
from edge.services.readercheck import check_reader
from edge.settings import Settings
from edge.store import migrate
from edge.store.database import Database
from tests.browser import EXAMPLE_EVENT, EXAMPLE_SLUG
from tests.servers import central_process, free_port

pytestmark = pytest.mark.integration

YEAR_2000_US = 946_684_800 * 1_000_000


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "edge.db",
        role_file=tmp_path / "reader.json",
        key_folder=tmp_path / "keys",
        cache_folder=tmp_path / "cache",
        boot_folder=tmp_path,  # not a Pi: no boot partition copy of the PIN needed
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """An unclaimed box's app with the example event loaded through /api/v1/setup/event."""
    with TestClient(create_app(settings)) as test_client:
        loaded = test_client.post("/api/v1/setup/event", content=EXAMPLE_EVENT.read_bytes())
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["report"]["slug"] == EXAMPLE_SLUG
        yield test_client


def test_choosing_master_writes_reader_json(client, settings):
    answer = client.post(
        "/api/v1/setup/role", json={"role": "master", "event": EXAMPLE_SLUG, "point": "finish"}
    )
    assert answer.status_code == 200, answer.text
    config = load_file_role(settings.role_file)
    assert (config.role.value, config.event, config.point) == ("master", EXAMPLE_SLUG, "FINISH")
    assert config.event_key  # made for the slaves to type in
    assert answer.json()["config"]["event_key"] == config.event_key
    page = client.get("/setup")
    assert 'data-role="master"' in page.text
    assert config.event_key in page.text


def test_a_slave_without_its_master_is_refused_and_nothing_is_written(client, settings):
    client.post("/api/v1/setup/role", json={"role": "master", "event": EXAMPLE_SLUG})
    before = settings.role_file.read_bytes()
    refused = client.post(
        "/api/v1/setup/role",
        json={"role": "slave", "event": EXAMPLE_SLUG, "point": "KM5", "event_key": "k3y"},
    )
    assert refused.status_code == 422
    assert "master_url" in refused.text
    assert settings.role_file.read_bytes() == before
    unknown = client.post(
        "/api/v1/setup/role",
        json={"role": "slave", "event": EXAMPLE_SLUG, "point": "KM42", "event_key": "k3y",
              "master_url": "http://192.0.2.10:8000"},
    )  # fmt: skip
    assert unknown.status_code == 422
    assert "KM42" in unknown.text
    assert settings.role_file.read_bytes() == before
    form = client.post("/setup/role", data={"role": "slave", "event": EXAMPLE_SLUG, "point": "KM5"})
    assert form.status_code == 422
    assert 'class="notice error"' in form.text
    assert settings.role_file.read_bytes() == before
    accepted = client.post(
        "/setup/role",
        data={"role": "slave", "event": EXAMPLE_SLUG, "point": "km5",
              "event_key": "spring-10k-slave-key",
              "master_url": "http://192.0.2.10:8000"},
    )  # fmt: skip
    assert accepted.status_code == 200
    assert 'class="notice ok"' in accepted.text
    config = load_file_role(settings.role_file)
    assert (config.role.value, config.point, config.master_url) == (
        "slave", "KM5", "http://192.0.2.10:8000"
    )  # fmt: skip


def test_an_event_file_uploaded_on_the_page_is_loaded(client, fixtures):
    trail = fixtures / "events" / "trail-weekend.yaml"
    files = {"file": ("trail-weekend.yaml", trail.read_bytes(), "application/yaml")}
    page = client.post("/setup/event", files=files)
    assert page.status_code == 200, page.text
    assert 'class="notice ok"' in page.text
    slugs = {e["slug"] for e in client.get("/api/v1/setup").json()["events"]}
    assert EXAMPLE_SLUG in slugs
    assert len(slugs) == 2
    broken = {"file": ("bad.yaml", b"slug: [unclosed\n", "application/yaml")}
    refused = client.post("/setup/event", files=broken)
    assert refused.status_code == 422
    assert 'class="notice error"' in refused.text


@pytest.fixture
def emulator() -> Iterator[int]:
    """``chrono-edge simulate-reader``: 20 tags on antennas 1 and 2, its clock in 2000."""
    port = free_port()
    command = [sys.executable, "-m", "edge.cli", "simulate-reader", "--port", str(port)]
    command += ["--scenario", "burst", "--tags", "20", "--rate", "200", "--duration", "30"]
    command += ["--antennas", "2", "--clock-year", "2000", "--quiet"]
    with subprocess.Popen(command) as process:
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    assert process.poll() is None, "the emulator exited"
                    assert time.monotonic() < deadline, "the emulator did not listen"
                    time.sleep(0.05)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_the_reader_test_connects_and_sees_antennas_and_the_clock_offset(client, emulator):
    answer = client.post(
        "/api/v1/setup/reader-test", json={"port": emulator, "listen_s": 1.0}
    ).json()
    assert answer["ok"] is True, answer
    assert answer["source"] == "test connection"
    assert answer["antennas_seen"] == [1, 2]
    assert answer["reads"] > 0
    # The reader's clock reads 1 Jan 2000: the box is about 26 years ahead of it.
    expected_us = time.time_ns() // 1000 - YEAR_2000_US
    assert abs(answer["clock_offset_us"] - expected_us) < 60 * 1_000_000


def test_the_reader_test_says_when_nobody_answers(client):
    answer = client.post(
        "/api/v1/setup/reader-test", json={"port": free_port(), "timeout_s": 1.0}
    ).json()
    assert answer["ok"] is False
    assert "cannot connect" in answer["detail"]


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(url, free_port(), tmp_path) as base:
        yield base, url


def enrollment_token(database_url: str) -> str:
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "central", "enroll-token", "create"]
    command += ["--event", EXAMPLE_SLUG, "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return str(json.loads(done.stdout)["token"])


def test_enrollment_with_a_real_central(client, settings, central):
    base, database_url = central
    bad = client.post("/api/v1/setup/enroll", json={"central_url": base, "token": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "EnrollmentRefused"
    assert load_file_role(settings.role_file).central is None
    answer = client.post(
        "/api/v1/setup/enroll", json={"central_url": base, "token": enrollment_token(database_url)}
    )
    assert answer.status_code == 200, answer.text
    link = load_file_role(settings.role_file).central
    assert link is not None
    assert link.url == base
    assert answer.json()["central"]["device_id"] == link.device_id
    # This central has no WireGuard hub: enrolled, the tunnel stays down and says why.
    assert answer.json()["vpn"]["code"] in {"down", "unavailable"}
    page = client.get("/setup")
    assert base in page.text
    assert 'data-state="not-enrolled"' not in page.text
    unreachable = client.post(
        "/api/v1/setup/enroll",
        json={"central_url": f"http://127.0.0.1:{free_port()}", "token": "whatever"},
    )
    assert unreachable.status_code == 502
    assert load_file_role(settings.role_file).central == link


async def test_the_reader_test_leaves_a_reader_in_use_by_the_reader_service_alone(settings):
    """A second LLRP client would reset the running inventory: read the service's health."""
    port = free_port()  # nothing listens: a connection attempt would fail
    db = Database(settings.db)
    migrate.upgrade(settings.db)
    try:
        async with db.write() as session:
            session.add(
                ReaderHealth(
                    reader=f"127.0.0.1:{port}",
                    connected=True,
                    reads_total=1234,
                    reads_per_s=json.dumps({"1": 12.5, "3": 4.0, "4": 0.0}),
                    clock_offset_us=-7_000,
                    updated_us=now_us(),
                )
            )
        found = await check_reader(db, ReaderConfig(host="127.0.0.1", port=port))
    finally:
        await db.close()
    assert (found.ok, found.source, found.antennas_seen) == (True, "reader service", [1, 3])
    assert (found.reads, found.clock_offset_us) == (1234, -7_000)


def test_masters_of_the_event_announced_on_the_lan_are_listed(settings):
    run = uuid.uuid4().hex[:8]
    config = RoleConfig(event=f"ev-{run}")
    save_role(settings.role_file, config)
    loopback = ["127.0.0.1"]
    with (
        TestClient(create_app(settings)) as client,
        announce(url="http://127.0.0.1:8001", device_id=f"finish-{run}", event=f"ev-{run}",
                 version="1", port=8001, interfaces=loopback),
        announce(url="http://127.0.0.1:8002", device_id=f"other-{run}", event=f"else-{run}",
                 version="1", port=8002, interfaces=loopback),
    ):  # fmt: skip
        found = client.get("/api/v1/setup/masters").json()["masters"]
    # Only the MASTER of this box's event, and never this box itself (it announces too).
    assert [(m["device_id"], m["url"]) for m in found] == [
        (f"finish-{run}", "http://127.0.0.1:8001")
    ]
