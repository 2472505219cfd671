"""``kill -9`` of central in the middle of batches: no partial batch, the box resumes.

Each round sends a 5,000-change batch and kills central after a different
delay, so some kills land while the batch is being applied. After every
restart central must hold exactly the changes 1..cursor (a batch is all or
nothing); at the end the Forwarder drains the rest and central holds every
change of the box exactly once. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central.services.enrollment import EnrollmentRequest, EnrollmentService
from central.settings import CentralSettings
from central.store import migrate as central_migrate
from central.store.database import CentralDatabase
from edge.store.reads import ReadIn
from edge.sync.forwarder import Forwarder
from edge.sync.outbox import Outbox
from tests.servers import free_port, postgres_database, wait_http
from tests.syncbox import SLUG, load_box, query, record

pytestmark = pytest.mark.integration

KEY = base64.b64encode(bytes(range(32))).decode()
READS = 20_000
KILL_DELAYS_S = (0.05, 0.15, 0.3, 0.6)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


def start_central(url: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": url}
    command = [sys.executable, "-m", "central", "serve", "--port", str(port)]
    log = (folder / "central.log").open("ab")
    process = subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=log)
    log.close()
    wait_http(f"http://127.0.0.1:{port}/healthz", process)
    return process


async def enroll(url: str) -> tuple[str, str]:
    db = CentralDatabase(url)
    try:
        service = EnrollmentService(db, CentralSettings(database_url=url))
        issued = await service.issue_token(SLUG)
        granted = await service.enroll(EnrollmentRequest(issued.token, "crash-box", "h", "v", KEY))
    finally:
        await db.close()
    return granted.device_id, granted.device_token


async def held(url: str, device_id: str) -> tuple[int, list[int]]:
    """Central's cursor for the device and the seqs it holds."""
    db = CentralDatabase(url)
    try:
        async with db.read() as session:
            connection = await session.connection()
            cursor = (
                await connection.exec_driver_sql(
                    f"SELECT last_seq FROM device WHERE id = '{device_id}'"
                )
            ).scalar_one()
            seqs = (
                await connection.exec_driver_sql(
                    f"SELECT seq FROM device_change WHERE device_id = '{device_id}' ORDER BY seq"
                )
            ).scalars()
            return int(cursor), [int(s) for s in seqs]
    finally:
        await db.close()


def test_central_killed_mid_batch_keeps_no_partial_batch_and_the_box_resumes(
    database_url: str, tmp_path: Path
):
    central_migrate.upgrade(database_url)
    device_id, token = asyncio.run(enroll(database_url))
    box = load_box(tmp_path / "box.db")
    reads = [ReadIn(f"E2801160600002{i % 3000:010d}", 1, -50.0, i, i) for i in range(READS)]
    assert record(box, "FINISH", reads, device_id="") == READS
    last = query(box, "SELECT max(seq) FROM outbox")[0][0]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
    outbox = Outbox(box, "central")
    for delay in KILL_DELAYS_S:
        central = start_central(database_url, port, tmp_path)
        cursor = asyncio.run(held(database_url, device_id))[0]
        batch = outbox.pending(device_id, after=cursor, max_changes=5000, max_bytes=64 << 20)
        assert batch is not None
        body = gzip.compress(batch.model_dump_json().encode())
        answers: list[object] = []

        def send(body: bytes = body, answers: list[object] = answers) -> None:
            try:
                answers.append(
                    httpx.post(
                        f"{base}/api/v1/sync/batches", content=body, headers=headers, timeout=30
                    ).status_code
                )
            except httpx.HTTPError as error:
                answers.append(error)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(delay)
        central.send_signal(signal.SIGKILL)
        central.wait(timeout=10)
        sender.join(timeout=30)
        cursor, seqs = asyncio.run(held(database_url, device_id))
        assert seqs == list(range(1, cursor + 1)), f"partial batch after a kill at {delay} s"
        assert cursor in (batch.seq_from - 1, batch.seq_to)  # the batch: all or nothing
    central = start_central(database_url, port, tmp_path)
    try:

        async def drain() -> int:
            async with Forwarder("central", base, token, box, device_id=device_id) as forwarder:
                return await forwarder.push_once()

        asyncio.run(drain())
        cursor, seqs = asyncio.run(held(database_url, device_id))
        assert cursor == last
        assert seqs == list(range(1, last + 1))  # every change exactly once
    finally:
        central.terminate()
        central.wait(timeout=10)
