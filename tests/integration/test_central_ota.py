"""Central serves the update repository and rollouts to boxes (live process, SQLite, PostgreSQL).

Byte ranges resume a download, nothing outside the repository is served, python-tuf's
client updates through central, a rollout offers its version to exactly the boxes the
hash selects, reports are stored, and the rollout page counts boxes per state.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlmodel import col, select
from tuf.api.metadata import Metadata
from tuf.ngclient import Updater

from central.store.database import CentralDatabase
from central.store.models import OtaDevice, OtaReport
from ota.cli import cli as ota_cli
from ota.repository import init_repository, publish, trusted_root
from ota.rollout import in_rollout
from tests.otabundles import release_bundle
from tests.servers import central_process, chrono_central, free_port, postgres_database

pytestmark = pytest.mark.integration

KEY = "A" * 43 + "="
ADMIN = ("ops", "a long enough password")
AARCH64, X86 = "linux-aarch64-cp311", "linux-x86_64-cp311"
BOXES = 16


@dataclass
class Central:
    """A live central serving an update repository, with enrolled boxes (id -> token)."""

    base: str
    url: str
    repo: Path
    boxes: dict[str, str]
    bundle: Path

    def headers(self, device: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.boxes[device]}"}


def rollout(central: Central, action: str, channel: str, *args: str) -> tuple[int, str]:
    """``chrono-ota rollout ACTION 0.2.0 --channel CHANNEL ...`` on central's repository."""
    runner = CliRunner(env={"CHRONO_CENTRAL_OTA_DIR": str(central.repo)})
    command = ["rollout", action, "0.2.0", "--channel", channel, *args]
    done = runner.invoke(ota_cli, command)
    return done.exit_code, done.output


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp("central")
    # Not "ota": ``python -m central`` runs in ``folder``, where that name would shadow the package.
    repo = folder / "repository"
    init_repository(repo)
    # Published 13 h in the past: central's refresh task must re-sign the timestamp at start.
    signed = datetime.now(UTC) - timedelta(hours=13)
    bundle = release_bundle(folder / "build", "0.2.0", AARCH64)
    for channel in ("stable", "beta"):
        publish(repo, bundle, channel, now=signed)
        publish(repo, release_bundle(folder / "build", "0.2.0", X86), channel, now=signed)
    settings = {"CHRONO_CENTRAL_OTA_DIR": str(repo), "CHRONO_CENTRAL_OTA_REFRESH_S": "0.5"}
    with (
        _database(request.param, folder) as url,
        central_process(url, free_port(), folder, settings) as base,
    ):
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        boxes = dict(_enroll(base, url, f"ota-{n:02d}") for n in range(BOXES))
        yield Central(base, url, repo, boxes, bundle)


@pytest.fixture
def target_url(central: Central) -> str:
    (stored,) = (central.repo / "stable" / "targets").glob(f"*.{central.bundle.name}")
    return f"{central.base}/ota/stable/targets/{stored.name}"


def test_a_download_resumes_with_byte_ranges(central: Central, target_url: str) -> None:
    whole = central.bundle.read_bytes()
    full = httpx.get(target_url)
    assert full.status_code == 200
    assert full.content == whole
    assert full.headers["accept-ranges"] == "bytes"
    etag = full.headers["etag"]
    # A download cut after 1000 bytes resumes where it stopped.
    first = httpx.get(target_url, headers={"Range": "bytes=0-999"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-999/{len(whole)}"
    rest = httpx.get(target_url, headers={"Range": "bytes=1000-", "If-Range": etag})
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes 1000-{len(whole) - 1}/{len(whole)}"
    assert first.content + rest.content == whole
    tail = httpx.get(target_url, headers={"Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    # Past the end: 416 with the size; an If-Range that no longer matches: the whole file.
    beyond = httpx.get(target_url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(whole)}"
    changed = httpx.get(target_url, headers={"Range": "bytes=1000-", "If-Range": '"old"'})
    assert (changed.status_code, changed.content) == (200, whole)
    assert httpx.get(target_url, headers={"If-None-Match": etag}).status_code == 304


def test_metadata_is_served_fresh(central: Central) -> None:
    timestamp = httpx.get(f"{central.base}/ota/stable/metadata/timestamp.json")
    assert timestamp.status_code == 200
    assert timestamp.headers["cache-control"] == "no-cache"
    assert timestamp.content == (central.repo / "stable/metadata/timestamp.json").read_bytes()
    assert httpx.get(f"{central.base}/ota/stable/metadata/9.root.json").status_code == 404
    assert httpx.get(f"{central.base}/ota/nightly/metadata/root.json").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/ota/stable/metadata/..%2F..%2Fkeys%2Fonline.key",
        "/ota/stable/../keys/online.key",
        "/ota/stable/metadata/../../keys/online.key",
        "/ota/keys/metadata/online.key",
        "/ota/stable/keys/online.key",
        "/ota/stable/metadata/.lock",
        "/ota/stable/metadata/%2e%2e",
        "/ota/stable/rollouts.json/x/y",
    ],
)
def test_nothing_outside_the_repository_is_served(central: Central, path: str) -> None:
    status, body = _raw_get(central.base, path)  # exactly these bytes, no client normalising
    assert status in (400, 404), body[:200]
    key = (central.repo / "keys" / "online.key").read_bytes()
    assert key not in body
    assert b"PRIVATE KEY" not in body


def test_a_file_being_written_is_not_served(central: Central) -> None:
    # What write_atomic leaves for an instant beside timestamp.json while it re-signs it.
    partial = central.repo / "stable" / "metadata" / ".timestamp.json.k2j4x9.tmp"
    partial.write_bytes(b'{"signed": ')
    try:
        status, _ = _raw_get(central.base, f"/ota/stable/metadata/{partial.name}")
    finally:
        partial.unlink()
    assert status == 404


def test_the_real_tuf_client_updates_through_central(central: Central, tmp_path: Path) -> None:
    updater = Updater(
        str(_folder(tmp_path / "tuf")),
        f"{central.base}/ota/stable/metadata/",
        str(tmp_path / "downloads"),
        f"{central.base}/ota/stable/targets/",
        bootstrap=trusted_root(central.repo, "stable"),
    )
    updater.refresh()
    info = updater.get_targetinfo(central.bundle.name)
    assert info is not None
    assert info.custom["version"] == "0.2.0"
    assert Path(updater.download_target(info)).read_bytes() == central.bundle.read_bytes()


def test_central_re_signs_a_timestamp_near_its_expiry(central: Central) -> None:
    # Signed 13 h ago with a day to live: the refresh task re-signed it at start-up.
    data = httpx.get(f"{central.base}/ota/beta/metadata/timestamp.json").content
    timestamp = Metadata.from_bytes(data)
    assert timestamp.signed.expires - datetime.now(UTC) > timedelta(hours=12)
    assert timestamp.signed.version >= 4  # init, two publishes, then central's re-signing


def test_a_rollout_offers_its_version_to_the_boxes_the_hash_selects(central: Central) -> None:
    assert offered(central, next(iter(central.boxes)))["version"] is None  # no rollout yet
    code, output = rollout(central, "start", "stable", "--percent", "50")
    assert (code, output) == (0, "rollout 0.2.0@stable: active at 50 %\n")
    chosen = {d for d in central.boxes if in_rollout(d, "0.2.0", 50)}
    assert 0 < len(chosen) < BOXES
    for device in central.boxes:
        answer = offered(central, device)
        if device in chosen:
            assert answer == {
                "version": "0.2.0",
                "target_name": "chronoedge-0.2.0-linux-aarch64-cp311.tar",
                "channel": "stable",
                "rollout": "0.2.0@stable",
                "percent": 50,
            }
        else:
            assert answer == {"version": None}
    inside = sorted(chosen)[0]
    x86 = offered(central, inside, target=X86)
    assert x86["target_name"] == "chronoedge-0.2.0-linux-x86_64-cp311.tar"
    # Paused: nobody is offered it; resumed: the same boxes again.
    assert rollout(central, "pause", "stable")[0] == 0
    assert offered(central, inside)["version"] is None
    assert rollout(central, "resume", "stable")[0] == 0
    assert offered(central, inside)["version"] == "0.2.0"
    # A box that reports running 0.2.0 is offered nothing more.
    report(central, inside, state="healthy", current="0.2.0", previous="0.1.0")
    assert offered(central, inside)["version"] is None
    code, output = rollout(central, "raise", "stable", "--percent", "20")
    assert code == 1
    assert output == (
        "error: rollout 0.2.0@stable is at 50 %: "
        "raise only increases it (pause or abort to stop it)\n"
    )
    assert rollout(central, "raise", "stable", "--percent", "100")[0] == 0
    outside = sorted(set(central.boxes) - chosen)[0]
    assert offered(central, outside)["rollout"] == "0.2.0@stable"


def test_offers_need_a_device_token_and_a_known_channel(central: Central) -> None:
    device = next(iter(central.boxes))
    query = {"channel": "stable", "target": AARCH64}
    assert httpx.get(f"{central.base}/api/v1/ota/offer", params=query).status_code == 401
    wrong = httpx.get(
        f"{central.base}/api/v1/ota/offer",
        params=query,
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert wrong.status_code == 401
    nightly = httpx.get(
        f"{central.base}/api/v1/ota/offer",
        params={**query, "channel": "nightly"},
        headers=central.headers(device),
    )
    assert nightly.status_code == 422
    assert "unknown channel 'nightly': use stable or beta" in nightly.text


def test_reports_are_stored_latest_and_history(central: Central) -> None:
    device = sorted(central.boxes)[-1]
    report(central, device, state="downloading", current="0.1.0", offered="0.2.0")
    report(central, device, state="downloading", current="0.1.0", offered="0.2.0")  # no change
    report(central, device, state="failed", current="0.1.0", offered="0.2.0", error="disk full")
    report(central, device, state="idle", current="0.1.0")
    latest, history = asyncio.run(_stored(central.url, device))
    assert (latest.state, latest.current, latest.error) == ("idle", "0.1.0", None)
    assert latest.last_error == "disk full"
    assert [r.state for r in history] == ["downloading", "failed", "idle"]
    bad = httpx.post(
        f"{central.base}/api/v1/ota/report",
        json={"state": "exploded", "current": "0.1.0", "at": _now()},
        headers=central.headers(device),
    )
    assert bad.status_code == 400


def test_the_rollout_page_counts_boxes_per_state(central: Central) -> None:
    boxes = sorted(central.boxes)
    for device in boxes:  # every box asks on the beta channel
        offered(central, device, channel="beta")
    assert rollout(central, "start", "beta", "--percent", "60")[0] == 0
    chosen = [d for d in boxes if in_rollout(d, "0.2.0", 60)]
    assert len(chosen) >= 6
    key = "0.2.0@beta"
    states = [
        ("downloading", {"current": "0.1.0", "offered": "0.2.0"}),
        ("installed", {"current": "0.2.0", "previous": "0.1.0"}),
        ("healthy", {"current": "0.2.0", "previous": "0.1.0"}),
        ("rolled_back", {"current": "0.1.0", "error": "serve did not answer within 90 s"}),
        ("failed", {"current": "0.1.0", "error": "bundle refused: hash mismatch"}),
        ("deferred", {"current": "0.1.0", "reason": "race 10K is live"}),
    ]
    for device, (state, fields) in zip(chosen, states, strict=False):
        report(central, device, state=state, rollout=key, **fields)
    with httpx.Client(base_url=central.base) as browser:
        assert browser.get("/rollouts").headers["location"].endswith("/login")
        browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        page = browser.get("/rollouts").text
    section = page[page.index(f'data-rollout="{key}"') :]
    section = section[: section.index("</section>")]
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', section))
    assert counts == {
        "waiting": str(len(chosen) - 5),  # the deferred box and the silent ones
        "downloading": "1",
        "installed": "1",
        "healthy": "1",
        "rolled_back": "1",
        "failed": "1",
    }
    assert "serve did not answer within 90 s" in section
    assert "race 10K is live" in section
    assert f"{BOXES - len(chosen)} not (yet)" in section


def offered(
    central: Central, device: str, *, channel: str = "stable", target: str = AARCH64
) -> dict[str, Any]:
    response = httpx.get(
        f"{central.base}/api/v1/ota/offer",
        params={"channel": channel, "target": target},
        headers=central.headers(device),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def report(central: Central, device: str, **fields: Any) -> None:
    body = {"at": _now(), **fields}
    response = httpx.post(
        f"{central.base}/api/v1/ota/report", json=body, headers=central.headers(device)
    )
    assert response.status_code == 204, response.text


async def _stored(url: str, device: str) -> tuple[OtaDevice, list[OtaReport]]:
    db = CentralDatabase(url)
    try:
        async with db.read() as session:
            latest = await session.get(OtaDevice, device)
            rows = await session.exec(
                select(OtaReport)
                .where(OtaReport.device_id == device)
                .order_by(col(OtaReport.received_us))
            )
            history = list(rows.all())
    finally:
        await db.close()
    assert latest is not None
    return latest, history


def _enroll(base: str, url: str, serial: str) -> tuple[str, str]:
    token = json.loads(chrono_central(url, "enroll-token", "create", "--event", "ota", "--json"))
    body = {"token": token["token"], "serial": serial, "hostname": f"pi-{serial}",
            "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return granted["device_id"], granted["device_token"]


def _raw_get(base: str, path: str) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        connection.sendall(request.encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _database(kind: str, folder: Path) -> AbstractContextManager[str]:
    if kind == "sqlite":
        return nullcontext(f"sqlite+aiosqlite:///{folder / 'central.db'}")
    return postgres_database()
