"""Central applies boxes' batches once, in order, on SQLite and PostgreSQL (raw HTTP)."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from tests.servers import central_on

pytestmark = pytest.mark.integration

KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("central")
    with central_on(request.param, folder) as (base, url):
        yield base, url


def enroll(base: str, url: str, serial: str) -> tuple[str, str]:
    """A new device: (device id, device token)."""
    central_settings.cache_clear()
    issued = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
        central_cli, ["enroll-token", "create", "--event", "spring-10k-2026", "--json"]
    )
    central_settings.cache_clear()
    assert issued.exit_code == 0, issued.output
    body = {"token": json.loads(issued.stdout)["token"], "serial": serial, "hostname": serial,
            "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return granted["device_id"], granted["device_token"]


def batch(device: str, first: int, last: int) -> dict[str, Any]:
    changes = [
        {"seq": s, "table": "tag_read", "op": "upsert", "row_id": f"r{s}",
         "payload": {"event": "spring-10k-2026", "point": "FINISH", "epc": f"E{s:04d}"}}
        for s in range(first, last + 1)
    ]  # fmt: skip
    return {"device_id": device, "seq_from": first, "seq_to": last, "changes": changes}


def push(base: str, token: str, body: dict[str, Any], *, compress: bool = True) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode()
    if compress:
        headers["Content-Encoding"] = "gzip"
        data = gzip.compress(data)
    return httpx.post(f"{base}/api/v1/sync/batches", content=data, headers=headers)


def cursor(base: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return int(httpx.get(f"{base}/api/v1/sync/cursor", headers=headers).json()["acked_seq"])


def test_batches_apply_once_in_order_and_gaps_are_refused(central: tuple[str, str]):
    base, url = central
    device, token = enroll(base, url, "box-order")
    assert cursor(base, token) == 0
    first = push(base, token, batch(device, 1, 100))
    assert first.status_code == 200, first.text
    assert first.json() == {"acked_seq": 100, "applied": 100}
    replay = push(base, token, batch(device, 1, 100))
    assert replay.json() == {"acked_seq": 100, "applied": 0}
    overlap = push(base, token, batch(device, 51, 150), compress=False)
    assert overlap.json() == {"acked_seq": 150, "applied": 50}
    gap = push(base, token, batch(device, 152, 160))
    assert gap.status_code == 409
    assert gap.json()["expected_seq"] == 151
    assert cursor(base, token) == 150


def test_a_device_token_writes_only_its_own_device(central: tuple[str, str]):
    base, url = central
    device_a, token_a = enroll(base, url, "box-a")
    device_b, _ = enroll(base, url, "box-b")
    stolen = push(base, token_a, batch(device_b, 1, 5))
    assert stolen.status_code == 403
    assert push(base, "not-a-token", batch(device_a, 1, 5)).status_code == 401
    no_token = httpx.post(f"{base}/api/v1/sync/batches", json=batch(device_a, 1, 5))
    assert no_token.status_code == 401


def test_malformed_batches_are_refused_whole(central: tuple[str, str]):
    base, url = central
    device, token = enroll(base, url, "box-bad")
    holes = batch(device, 1, 10)
    del holes["changes"][4]
    refused = push(base, token, holes)
    assert refused.status_code == 422
    assert "seq_from..seq_to" in refused.json()["detail"]
    headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
    not_gzip = httpx.post(f"{base}/api/v1/sync/batches", content=b"{}", headers=headers)
    assert not_gzip.status_code == 422
    assert "gzip" in not_gzip.json()["detail"]
    assert cursor(base, token) == 0  # nothing was applied
    assert push(base, token, batch(device, 1, 10)).json()["applied"] == 10
