"""A box and central of different releases still talk (sync protocol versions 1 and 2).

This release writes version 2 (edge.sync.columnar) and reads both; a release
before it writes and reads version 1 only, names no version and refuses a version
2 document whole. Real processes on loopback, both directions:

- a box forced to version 1 sends what an older box sends, byte for byte (JSON,
  gzip, no version header), to this central: central stores the same changes as
  from a box of this release;
- this box against the central of the release before version 2, taken from the
  git history and run from it: the first batch goes as version 2, is refused
  without a change applied, and everything goes as version 1 after, until that
  central is updated.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import httpx
import pytest

from edge.sync.forwarder import Forwarder
from edge.sync.outbox import Outbox
from edge.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.servers import central_process, free_port
from tests.syncbox import ROOT, SLUG, W1_US, crossing, load_box, query, record

pytestmark = pytest.mark.integration

KEY = base64.b64encode(bytes(range(32))).decode()
SECOND = 1_000_000


def enroll(base: str, env: dict[str, str], serial: str, workdir: Path) -> tuple[str, str]:
    """Enroll a box the way an operator does, through that central's own command and API
    (run in ``workdir``, out of this checkout, so that PYTHONPATH picks the code)."""
    command = [sys.executable, "-m", "central", "enroll-token", "create", "--event", SLUG]
    issued = subprocess.run(
        [*command, "--json"], env=env, cwd=workdir, capture_output=True, text=True, check=True
    )
    body = {"token": json.loads(issued.stdout)["token"], "serial": serial,
            "hostname": serial, "version": "test", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body, timeout=30)
    assert granted.status_code in (200, 201), granted.text
    return granted.json()["device_id"], granted.json()["device_token"]


def held(central_db: Path, device_id: str) -> list[tuple[object, ...]]:
    """What central stored for the device: (seq, table, op, row id, payload), in seq order."""
    return query(
        central_db,
        "SELECT seq, table_name, op, row_id, payload FROM device_change"
        " WHERE device_id = ? ORDER BY seq",
        device_id,
    )


def outbox(box: Path) -> list[tuple[object, ...]]:
    return query(box, "SELECT seq, table_name, op, row_id FROM outbox ORDER BY seq")


def exchanges(forwarder: Forwarder) -> list[tuple[str | None, int, str | None]]:
    """Record each request's version header, its answer's status and the answer's header."""
    seen: list[tuple[str | None, int, str | None]] = []

    async def note(response: httpx.Response) -> None:
        asked = response.request.headers.get(PROTOCOL_HEADER)
        seen.append((asked, response.status_code, response.headers.get(PROTOCOL_HEADER)))

    forwarder._client.event_hooks["response"].append(note)
    return seen


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A MASTER's database with three crossings at the finish (63 reads, 63 changes)."""
    path = load_box(tmp_path / "box" / "edge.db")
    for n in range(3):
        record(path, "FINISH", crossing(f"E2801160600002000000C00{n}", W1_US + n * SECOND), "box")
    return path


def central_env(database: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


async def push(box: Path, base: str, token: str, device: str, **options: int) -> tuple[int, list]:
    async with Forwarder("central", base, token, box, device_id=device, **options) as sender:
        seen = exchanges(sender)
        acked = await sender.push_once()
    return acked, seen


def test_an_older_box_and_this_one_leave_central_the_same_changes(
    box: Path, tmp_path: Path
) -> None:
    twin = tmp_path / "twin" / "edge.db"
    twin.parent.mkdir()
    shutil.copy(box, twin)  # the same outbox, sent by two boxes of two releases
    database = tmp_path / "central.db"
    env = central_env(database)
    with central_process(env["CHRONO_CENTRAL_DATABASE_URL"], free_port(), tmp_path) as base:
        new, new_token = enroll(base, env, "box-v2", tmp_path)
        old, old_token = enroll(base, env, "box-v1", tmp_path)
        last = Outbox(box, "central").last_seq()
        acked, seen = asyncio.run(push(box, base, new_token, new, max_changes=25))
        assert acked == last
        assert seen == [("2", 200, str(PROTOCOL_VERSION))] * 3
        acked, seen = asyncio.run(push(twin, base, old_token, old, max_changes=25, protocol=1))
        assert acked == last
        assert seen == [(None, 200, str(PROTOCOL_VERSION))] * 3
    assert [row[:4] for row in held(database, new)] == outbox(box)
    assert held(database, new) == held(database, old)  # payloads too, as JSON text


def previous_release(folder: Path) -> Path:
    """The edge and central packages of the release before sync protocol 2, from git."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the project's git history (a clone, not an archive) and git")
    found = subprocess.run(
        ["git", "log", "--format=%H", "--reverse", "-S", "PROTOCOL_VERSION = 2", "--",
         "edge/sync/protocol.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if not found:
        pytest.skip("the git history does not hold the commit that made protocol 2")
    archive = subprocess.run(
        ["git", "archive", f"{found[0]}^", "edge", "central"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


@pytest.fixture(scope="module")
def older(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return previous_release(tmp_path_factory.mktemp("previous-release"))


def test_this_box_falls_back_to_json_for_a_central_of_the_release_before(
    box: Path, tmp_path: Path, older: Path
) -> None:
    database = tmp_path / "central.db"
    env = central_env(database, older)
    url, port = env["CHRONO_CENTRAL_DATABASE_URL"], free_port()
    with central_process(url, port, tmp_path, {"PYTHONPATH": str(older)}) as base:
        version = subprocess.run(
            [sys.executable, "-c", "import central; print(central.__file__)"],
            env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert version.startswith(str(older))  # really the older code
        device, token = enroll(base, env, "box-new", tmp_path)
        last = Outbox(box, "central").last_seq()
        acked, seen = asyncio.run(push(box, base, token, device, max_changes=25))
        assert acked == last
        # Refused whole (it reads JSON only and names no version), then JSON throughout.
        assert seen == [("2", 422, None), (None, 200, None), (None, 200, None), (None, 200, None)]
        assert [row[:4] for row in held(database, device)] == outbox(box)

        # The next push (a new job run of the same worker) remembers: JSON at once. The
        # batch the older central refused never reached its tables.
        record(box, "FINISH", crossing("E2801160600002000000C009", W1_US + 9 * SECOND), "box")
        acked, seen = asyncio.run(push(box, base, token, device))
        assert acked == 21
        assert seen == [(None, 200, None)]
        assert [row[:4] for row in held(database, device)] == outbox(box)

    # The same central updated (this release, on the same port and database): the first
    # answer names version 2, and the next batch goes as version 2.
    with central_process(url, port, tmp_path) as base:
        for n in range(2):
            at = W1_US + (10 + n) * SECOND
            record(box, "FINISH", crossing(f"E2801160600002000000C01{n}", at), "box")
        acked, seen = asyncio.run(push(box, base, token, device, max_changes=21))
        assert acked == 42
        assert seen == [(None, 200, "2"), ("2", 200, "2")]
        assert [row[:4] for row in held(database, device)] == outbox(box)
