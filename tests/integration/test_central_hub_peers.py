"""Central's WireGuard peer table: written with each enrollment, shown on the dashboard.

These run central without a hub (the e2e test tests/e2e/test_event_network.py runs
one through wireguard-go): enrollment still works and says the tunnel is not
available, the peer row is kept for when a hub is configured, and the dashboard
says "no tunnel" while the heartbeat alone makes a box online.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from central.store.database import CentralDatabase
from central.store.models import WireguardPeer
from tests.servers import central_on

pytestmark = pytest.mark.integration

ADMIN = ("ops", "a long enough password")
KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(1, 33))).decode()


def chrono_central(url: str, *args: str, stdin: str = "") -> Result:
    central_settings.cache_clear()
    try:
        return CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
            central_cli, list(args), input=stdin
        )
    finally:
        central_settings.cache_clear()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("central")
    with central_on(request.param, folder) as (base, url):
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        yield base, url


def enroll(base: str, url: str, serial: str, key: str) -> dict[str, object]:
    issued = chrono_central(url, "enroll-token", "create", "--event", "spring-10k-2026", "--json")
    body = {"token": json.loads(issued.stdout)["token"], "serial": serial,
            "hostname": f"pi-{serial}", "version": "0.1.0", "wg_public_key": key}  # fmt: skip
    response = httpx.post(f"{base}/api/v1/enroll", json=body)
    assert response.status_code == 201, response.text
    granted: dict[str, object] = response.json()
    return granted


async def peer_rows(url: str) -> list[WireguardPeer]:
    db = CentralDatabase(url)
    try:
        async with db.read() as session:
            return list((await session.exec(select(WireguardPeer))).all())
    finally:
        await db.close()


def test_enrollment_keeps_the_peer_and_says_there_is_no_tunnel(central: tuple[str, str]):
    base, url = central
    granted = enroll(base, url, "hub-1", KEY_A)
    assert granted["tunnel_available"] is False
    assert "no WireGuard hub" in str(granted["tunnel_detail"])
    (row,) = [r for r in asyncio.run(peer_rows(url)) if r.device_id == granted["device_id"]]
    assert row.public_key == KEY_A
    assert f"{row.tunnel_address}/32" == granted["tunnel_address"]
    assert row.last_handshake_us is None
    first_update = row.updated_us

    # The box is reflashed (new key) and enrolls again: one row, new key, same address.
    again = enroll(base, url, "hub-1", KEY_B)
    assert again["device_id"] == granted["device_id"]
    rows = [r for r in asyncio.run(peer_rows(url)) if r.device_id == granted["device_id"]]
    assert [(r.public_key, r.tunnel_address) for r in rows] == [(KEY_B, row.tunnel_address)]
    assert rows[0].updated_us > first_update
    assert rows[0].created_us == row.created_us


def test_without_a_hub_the_dashboard_says_no_tunnel_and_reconcile_refuses(
    central: tuple[str, str],
):
    base, url = central
    granted = enroll(base, url, "hub-2", KEY_A)
    headers = {"Authorization": f"Bearer {granted['device_token']}"}
    reported = httpx.post(f"{base}/api/v1/devices/status", json={"role": "master"}, headers=headers)
    assert reported.status_code == 204
    devices = {d["hostname"]: d for d in httpx.get(f"{base}/api/v1/devices", auth=ADMIN).json()}
    assert devices["pi-hub-2"]["tunnel"] == "no tunnel"
    assert devices["pi-hub-2"]["online"] is True  # the heartbeat alone, without a hub
    with httpx.Client(base_url=base) as browser:
        browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        page = browser.get("/").text
    assert "no tunnel" in page
    assert ">online<" in page

    refused = chrono_central(url, "vpn", "reconcile")
    assert refused.exit_code == 1
    assert "CHRONO_CENTRAL_HUB_INTERFACE" in refused.output
    listed = chrono_central(url, "vpn", "peers", "--json")
    assert listed.exit_code == 0, listed.output
    mine = [p for p in json.loads(listed.stdout) if p["device_id"] == granted["device_id"]]
    assert mine == [{"device_id": granted["device_id"], "public_key": KEY_A,
                     "tunnel_address": str(granted["tunnel_address"]).removesuffix("/32"),
                     "handshake_age_s": None}]  # fmt: skip
