"""Benchmark of what a stranger's requests cost a box (issue 18, findings 7 and 8).

Run ``python -m bench.bench_hostile``. It starts ``chrono-edge serve`` on
loopback (a MASTER with the example event, its open-file limit set to 1,024 as
on a Pi) and, one scenario at a time, prints the server's answer, its peak
memory (VmHWM, reset between scenarios) and the slowest ``/healthz`` answer
seen while the scenario ran:

- a 60 KB gzip batch inflating to 60 MB (``/api/v1/ingest/batches``);
- a 6 MB batch of 100,000 tiny changes;
- a 9.2 MB entrants CSV (100,000 entrants), then a 9.5 MB event YAML;
- 1,100 arrival streams opened at once from 150 addresses (127.0.0.x).

Figures only, no budget: the tests assert the refusals (tests/security/).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EVENT = ROOT / "docs" / "examples" / "spring-10k.yaml"
SLUG = "spring-10k-2026"
KEY = "bench-event-key"
STREAMS = 1100
ADDRESSES = 150
FD_LIMIT = 1024


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def limit_files() -> None:
    """In the server's process: the open-file limit of a Pi's service."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


class Box:
    """A MASTER ``chrono-edge serve`` in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "edge.db"
        self.url = f"http://127.0.0.1:{free_port()}"
        self.env = {**os.environ, "CHRONO_EDGE_DATA_DIR": str(folder)}
        self.cli("db", "upgrade")
        self.cli("event", "load", str(EVENT))
        role = {"role": "master", "event": SLUG, "point": "FINISH", "event_key": KEY}
        (folder / "reader.json").write_text(json.dumps(role))
        port = self.url.rsplit(":", 1)[1]
        command = [sys.executable, "-m", "edge.cli", "--db", str(self.db), "serve"]
        command += ["--host", "127.0.0.1", "--port", port]
        log = (folder / "serve.log").open("ab")
        self.process = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=log, preexec_fn=limit_files
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("the box did not start (see serve.log)")

    def cli(self, *args: str) -> None:
        """``chrono-edge --db DB ARGS`` on this box."""
        command = [sys.executable, "-m", "edge.cli", "--db", str(self.db), *args]
        subprocess.run(command, env=self.env, check=True, capture_output=True)

    def memory_mb(self, field: str) -> float:
        """VmRSS or VmHWM of the server, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def reset_peak(self) -> None:
        """Start VmHWM again from the current RSS (Linux: clear_refs 5)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        self.process.wait(timeout=15)


def watch_health(box: Box, work: Callable[[], str]) -> tuple[str, float, int]:
    """Run ``work`` in a thread, timing /healthz meanwhile: (outcome, slowest s, failures)."""
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(work()))
    slowest, failures = 0.0, 0
    worker.start()
    with httpx.Client(timeout=120) as client:
        while worker.is_alive():
            start = time.monotonic()
            try:
                if client.get(f"{box.url}/healthz").status_code != 200:
                    failures += 1
            except httpx.HTTPError:
                failures += 1
            slowest = max(slowest, time.monotonic() - start)
            worker.join(0.1)
    return outcome[0], slowest, failures


def post(box: Box, path: str, body: bytes, headers: dict[str, str]) -> Callable[[], str]:
    """A POST to run in ``watch_health``; it returns the status and what it took."""

    def send() -> str:
        start = time.monotonic()
        try:
            answer = httpx.post(f"{box.url}{path}", content=body, headers=headers, timeout=600)
        except httpx.HTTPError as error:
            return f"{type(error).__name__} after {time.monotonic() - start:.1f} s"
        return f"{answer.status_code} in {time.monotonic() - start:.1f} s"

    return send


def gzip_bomb(size: int) -> bytes:
    """A one-change batch padded with a long string, inflating to ``size`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = (
        b'{"device_id":"slave","seq_from":1,"seq_to":1,"changes":[{"seq":1,"table":"tag_read",'
        b'"op":"upsert","row_id":"r","payload":{"pad":"'
    )
    out = [packer.compress(head)]
    block = b"a" * (1024 * 1024)
    for _ in range(size // len(block)):
        out.append(packer.compress(block))
    out += [packer.compress(b'"}}]}'), packer.flush()]
    return b"".join(out)


def tiny_items(count: int) -> bytes:
    """A batch of ``count`` minimal changes."""
    item = '{{"seq":{0},"table":"t","op":"upsert","row_id":"","payload":{{}}}}'
    changes = ",".join(item.format(seq) for seq in range(1, count + 1))
    return f'{{"device_id":"slave","seq_from":1,"seq_to":{count},"changes":[{changes}]}}'.encode()


def entrants_csv(count: int) -> bytes:
    """``count`` valid entrants of the example event."""
    header = "Dossard;Nom;Prénom;Sexe;Date de naissance;Club;Équipe;Course;Vague;Puce\n"
    rows = (
        f"{n};Nom{n};Prénom{n};{'FH'[n % 2]};14/03/1990;Club {n % 300};Équipe {n % 50};10K;"
        f"W{1 + n % 2};E28011606000020000{n:06X}\n"
        for n in range(1, count + 1)
    )
    return (header + "".join(rows)).encode()


def event_yaml(notes: int) -> bytes:
    """The example event file followed by a long list of notes."""
    text = EVENT.read_text(encoding="utf-8")
    return (text + "notes:\n" + "".join(f"  - note {n}\n" for n in range(notes))).encode()


def scenario(box: Box, name: str, work: Callable[[], str]) -> None:
    """Run one scenario and print its figures."""
    box.reset_peak()
    before = box.memory_mb("VmRSS")
    outcome, slowest, failures = watch_health(box, work)
    peak = box.memory_mb("VmHWM")
    print(
        f"{name:<38} {outcome:<24} RSS {before:6.0f} MB, peak {peak:6.0f} MB"
        f" (+{peak - before:.0f}); slowest /healthz {slowest:5.2f} s, {failures} failed"
    )


async def open_streams(box: Box) -> Counter[str]:
    """Open STREAMS arrival streams at once from ADDRESSES addresses; count the answers."""
    url = f"{box.url}/api/v1/events/{SLUG}/arrivals/stream"
    clients = [
        httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + n % ADDRESSES}"),
            timeout=30,
            limits=httpx.Limits(max_connections=STREAMS),
        )
        for n in range(ADDRESSES)
    ]
    statuses: Counter[str] = Counter()
    hold, answered = asyncio.Event(), asyncio.Event()

    def count(outcome: str) -> None:
        statuses[outcome] += 1
        if statuses.total() == STREAMS:
            answered.set()

    async def one(client: httpx.AsyncClient) -> None:
        try:
            async with client.stream("GET", url) as answer:
                count(str(answer.status_code))
                if answer.status_code == 200:
                    await hold.wait()
        except httpx.HTTPError as error:
            count(type(error).__name__)

    tasks = [asyncio.create_task(one(clients[n % ADDRESSES])) for n in range(STREAMS)]
    await answered.wait()
    start = time.monotonic()
    async with httpx.AsyncClient(timeout=60) as probe:
        health = await probe.get(f"{box.url}/healthz")
    statuses[f"/healthz {health.status_code} in {time.monotonic() - start:.2f} s"] += 1
    fds = len(os.listdir(f"/proc/{box.process.pid}/fd"))
    statuses[f"server fds {fds}"] += 1
    hold.set()
    await asyncio.gather(*tasks)
    for client in clients:
        await client.aclose()
    return statuses


def main() -> None:
    """Run every scenario against one box and print the figures."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    with tempfile.TemporaryDirectory() as folder:
        box = Box(Path(folder))
        try:
            auth = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
            ingest = "/api/v1/ingest/batches"
            bomb = gzip_bomb(60 * 1024 * 1024)
            gzipped = {**auth, "Content-Encoding": "gzip"}
            scenario(
                box, f"gzip bomb {len(bomb) // 1024} KB -> 60 MB", post(box, ingest, bomb, gzipped)
            )
            items = tiny_items(100_000)
            label = f"{len(items) / 1e6:.1f} MB batch of 100,000 changes"
            scenario(box, label, post(box, ingest, items, auth))
            csv = entrants_csv(100_000)
            imports = f"/api/v1/events/{SLUG}/entrants/import"
            scenario(box, f"entrants CSV {len(csv) / 1e6:.1f} MB", post(box, imports, csv, {}))
            yaml = event_yaml(600_000)
            label = f"event YAML {len(yaml) / 1e6:.1f} MB"
            scenario(box, label, post(box, "/api/v1/events", yaml, {}))
            box.reset_peak()
            before = box.memory_mb("VmRSS")
            statuses = asyncio.run(open_streams(box))
            peak = box.memory_mb("VmHWM")
            label = f"{STREAMS} streams from {ADDRESSES} addresses"
            print(f"{label}: RSS {before:.0f} MB, peak {peak:.0f} MB")
            for outcome, count in sorted(statuses.items()):
                print(f"  {outcome}: {count}")
        finally:
            box.stop()


if __name__ == "__main__":
    main()
