"""Benchmark: a box back online after an outage drains 100,000 buffered reads to central.

Run ``python -m bench.sync_backlog``. It starts a real ``chrono-central`` on
loopback (embedded SQLite), enrolls a box whose outbox holds 100,000 raw reads,
and times ``Forwarder.push_once`` (gzip batches of sync protocol 2, the columnar
form) with the bytes it put on the wire, headers included. Next to it, the same
batches encoded in protocol 1 (gzipped JSON objects, what a box sent before; not
sent), and the seed design: one JSON POST per read (``/api/raspberry``), measured
on a sample of reads against the same central (batches of one change,
uncompressed) and scaled to the backlog. Each goal is printed next to its figure
(bench.goals); exits 1 when one is missed: drained in < 10 s, naive time / ours
>= 50, and at most 20 bytes per read on the wire (issue 20).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import httpx

from bench.goals import Goal, exit_code
from edge.store import migrate
from edge.store.reads import ReadIn, connect, record_reads
from edge.sync.forwarder import Forwarder
from edge.sync.outbox import Outbox
from edge.sync.protocol import encode_batch

BACKLOG = 100_000
NAIVE_SAMPLE = 2_000
DRAIN = Goal("drained", 10.0, "s")
RATIO = Goal("ratio (naive time / ours)", 50.0, "", at_least=True)
WIRE = Goal("on the wire", 20.0, "B/read")
ROOT = Path(__file__).resolve().parents[1]
KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"central exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("central did not start")


def chrono(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def prepare_box(db: Path) -> None:
    migrate.upgrade(db)
    subprocess.run(
        [sys.executable, "-m", "edge.cli", "--db", str(db), "event", "load",
         str(ROOT / "docs/examples/spring-10k.yaml")],
        check=True, capture_output=True,
    )  # fmt: skip
    connection = connect(db)
    try:
        event_id, point_id = connection.execute(
            "SELECT event_id, id FROM timing_point WHERE code = 'FINISH'"
        ).fetchone()
        start = 1_775_981_000_000_000
        reads = [
            ReadIn(f"E28011606000020000{i % 2000:06X}", 1 + i % 4, -45.0 - i % 20,
                   start + i * 1_000, start + i * 1_000)
            for i in range(BACKLOG)
        ]  # fmt: skip
        record_reads(connection, event_id, point_id, reads)
    finally:
        connection.close()


def enroll(base: str, env: dict[str, str], serial: str) -> tuple[str, str]:
    issued = json.loads(
        chrono("central", "enroll-token", "create", "--event", "spring-10k-2026", "--json", env=env)
    )
    body = {"token": issued["token"], "serial": serial, "hostname": serial,
            "version": "bench", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return granted["device_id"], granted["device_token"]


async def drain(base: str, db: Path, device: str, token: str) -> tuple[float, int, int]:
    sent = 0

    async def count(request: httpx.Request) -> None:
        nonlocal sent
        sent += len(request.content) + sum(len(k) + len(v) + 4 for k, v in request.headers.raw)

    async with Forwarder("central", base, token, db, device_id=device) as forwarder:
        forwarder._client.event_hooks["request"].append(count)  # bytes on the wire
        began = time.perf_counter()
        acked = await forwarder.push_once()
        return time.perf_counter() - began, sent, acked


def version_1_bytes(db: Path, device: str) -> int:
    """What the same backlog weighs in protocol 1 (gzipped JSON), bodies only."""
    outbox, cursor, total = Outbox(db, "bench"), 0, 0
    while (batch := outbox.pending(device, after=cursor)) is not None:
        total += len(encode_batch(batch, 1))
        cursor = batch.seq_to
    return total


def naive(base: str, db: Path, device: str, token: str, first_seq: int) -> tuple[float, int]:
    """One uncompressed JSON POST per read, as the seed design's /api/raspberry did."""
    with closing(connect(db)) as connection:
        rows = connection.execute(
            "SELECT seq, table_name, op, row_id, payload FROM outbox ORDER BY seq LIMIT ?",
            [NAIVE_SAMPLE],
        ).fetchall()
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    with httpx.Client(base_url=base, headers=headers) as client:
        began = time.perf_counter()
        for offset, (_, table, op, row_id, payload) in enumerate(rows):
            seq = first_seq + offset
            body = {"device_id": device, "seq_from": seq, "seq_to": seq, "changes": [
                {"seq": seq, "table": table, "op": op, "row_id": row_id,
                 "payload": json.loads(payload)}]}  # fmt: skip
            request = client.build_request("POST", "/api/v1/sync/batches", json=body)
            sent += len(request.content) + sum(len(k) + len(v) + 4 for k, v in request.headers.raw)
            client.send(request).raise_for_status()
        return time.perf_counter() - began, sent


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sync-backlog-") as folder:
        work = Path(folder)
        env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": f"sqlite+aiosqlite:///{work}/c.db"}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "central", "serve", "--port", str(port)]
        log = (work / "central.log").open("wb")
        with log, subprocess.Popen(command, env=env, cwd=work, stdout=log, stderr=log) as server:
            try:
                wait_up(f"{base}/healthz", server)
                box = work / "box.db"
                prepare_box(box)
                device, token = enroll(base, env, "bench-box")
                seconds, ours_bytes, acked = asyncio.run(drain(base, box, device, token))
                json_bytes = version_1_bytes(box, device)
                # The naive client is timed as a second device on the same central.
                other, other_token = enroll(base, env, "naive-box")
                sample_s, sample_bytes = naive(base, box, other, other_token, 1)
            finally:
                server.terminate()
                server.wait(timeout=10)
    naive_s = sample_s * BACKLOG / NAIVE_SAMPLE
    naive_bytes = sample_bytes * BACKLOG / NAIVE_SAMPLE
    ratio = naive_s / seconds
    print(f"backlog: {BACKLOG} reads; acked {acked}")
    print(f"ours:  {seconds:.2f} s, {ours_bytes / 1e6:.2f} MB on the wire, "
          f"{BACKLOG / seconds:,.0f} changes/s (protocol 2, columnar)")  # fmt: skip
    print(f"protocol 1 (gzipped JSON, bodies only): {json_bytes / 1e6:.2f} MB, "
          f"{json_bytes / BACKLOG:.1f} B/read")  # fmt: skip
    print(f"naive: {naive_s:.1f} s, {naive_bytes / 1e6:.1f} MB (one POST per read; "
          f"{NAIVE_SAMPLE} measured, scaled)")  # fmt: skip
    print(f"bytes ratio={naive_bytes / ours_bytes:.1f}")
    met = [
        acked == BACKLOG,
        DRAIN.report(seconds),
        WIRE.report(ours_bytes / BACKLOG),
        RATIO.report(ratio),
    ]
    print(f"ratio={ratio:.1f}")
    return exit_code(met)


if __name__ == "__main__":
    sys.exit(main())
