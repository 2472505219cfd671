"""A box and a central for the session and CSRF tests (issue 18, findings 2-4).

The box is the real app on a real database and reader.json in ``tmp_path`` behind
Litestar's TestClient (base URL http://testserver.local); central runs as a real
``chrono-central serve`` process.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.auth.pin import PIN_FILE
from edge.cli.server import announce_setup_pin
from edge.settings import Settings
from tests.servers import central_process, chrono_central, free_port

PASSWORD = "correct horse battery"
ADMIN = ("ops", "a long enough password")
BOX = "http://testserver.local"
"""The origin of the box behind the TestClient (its Host header is testserver.local)."""


def box_settings(tmp_path: Path) -> Settings:
    """A box's files in ``tmp_path`` (sessions in ``tmp_path / "sessions"``)."""
    (tmp_path / "boot").mkdir(exist_ok=True)
    return Settings(
        db=tmp_path / "edge.db",
        config_dir=tmp_path / "etc",
        role_file=tmp_path / "etc" / "reader.json",
        key_folder=tmp_path / "keys",
        cache_folder=tmp_path / "cache",
        boot_folder=tmp_path / "boot",
    )


@contextmanager
def box_client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The box's app, started as ``chrono-edge serve`` starts it."""
    announce_setup_pin(settings)
    with TestClient(create_app(settings)) as client:
        yield client


def claim(client: TestClient, settings: Settings) -> str:  # type: ignore[type-arg]
    """Claim the box through the API; the session id the claim answered with."""
    pin = (settings.role_file.parent / PIN_FILE).read_text().strip()
    answer = client.post("/api/v1/setup/claim", json={"pin": pin, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.cookies["session"]


def session_files(folder: Path) -> list[Path]:
    """The files in a sessions folder (none when it does not exist)."""
    return sorted(folder.iterdir()) if folder.exists() else []


@contextmanager
def central(folder: Path, **settings: str) -> Iterator[str]:
    """A central process on SQLite with an admin ``ADMIN``; its base URL."""
    url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
    environment = {"CHRONO_CENTRAL_DATA_DIR": str(folder), **settings}
    with central_process(url, free_port(), folder, environment) as base:
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        yield base


def publish_results(base: str, folder: Path, event: str, race: str) -> str:
    """Enroll a MASTER and push one results document, as a box does; the public API URL."""
    url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
    token = json.loads(chrono_central(url, "enroll-token", "create", "--event", event, "--json"))
    body = {"token": token["token"], "serial": "sec-1", "hostname": "pi-sec-1",
            "version": "0.1.0", "wg_public_key": base64.b64encode(bytes(32)).decode()}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    document = {"event": event, "race": race, "updated_us": 1_000, "columns": ["rank", "bib"]}
    document["rows"] = [{"rank": 1, "bib": "7"}]
    change = {"seq": 1, "table": "results_snapshot", "op": "upsert", "row_id": race}
    change["payload"] = document
    batch = {"device_id": granted["device_id"], "seq_from": 1, "seq_to": 1, "changes": [change]}
    headers = {"Authorization": f"Bearer {granted['device_token']}", "Content-Encoding": "gzip"}
    data = gzip.compress(json.dumps(batch).encode())
    assert httpx.post(f"{base}/api/v1/sync/batches", content=data, headers=headers).is_success
    return f"/api/v1/public/events/{event}/results?race={race}"


@contextmanager
def box_worker(settings: Settings, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """``chrono-edge worker ARGS`` on the box's database."""
    assert settings.db is not None
    folder = settings.db.parent
    log = (folder / "worker.log").open("ab")
    command = [sys.executable, "-m", "edge.cli", "--db", str(settings.db), "worker", *args]
    environment = {**os.environ, "CHRONO_EDGE_ROLE_FILE": str(settings.role_file)}
    with (
        log,
        subprocess.Popen(command, env=environment, cwd=folder, stdout=log, stderr=log) as child,
    ):
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_for(check: Callable[[], object], what: str, limit_s: float = 30.0) -> None:
    """Poll ``check`` until it is true, or fail saying ``what`` did not happen."""
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {limit_s} s: {what}")
        time.sleep(0.1)
