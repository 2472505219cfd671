"""Two boxes started from two data directories on one machine share nothing.

Each box is ``chrono-edge --data-dir D`` and nothing else (no ``CHRONO_EDGE_*`` path
variables): serve, worker and reader, each reader fed by its own LLRP emulator. One
box's role is switched (``role set``, through /setup's checks); the other keeps its
reader.json, its role and its stream of reads, and nothing is written to the
working directory both run in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, stop_all, wait_http
from tests.syncbox import EVENT_FILE, SLUG, query

pytestmark = pytest.mark.integration

DEADLINE_S = 60.0


@dataclass
class Box:
    """One box: its data directory, its port, its processes."""

    data_dir: Path
    cwd: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "edge.cli", "--data-dir", str(self.data_dir), *args]

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            self.command(*args), env=clean_env(), cwd=self.cwd, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                self.command(*args), env=clean_env(), cwd=self.cwd, stdout=log, stderr=log
            )
        self.processes.append(process)
        return process

    def reads(self) -> int:
        return int(query(self.data_dir / "edge.db", "SELECT count(*) FROM tag_read")[0][0])

    def role(self) -> str:
        try:
            return str(httpx.get(f"{self.url}/api/v1/role", timeout=2).json()["role"])
        except httpx.HTTPError:
            return ""


def clean_env() -> dict[str, str]:
    """The environment without anything that would point a box at a file or a role."""
    overrides = ("READER_MODE", "READER_SERIAL", "MASTER_API_URL")
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CHRONO_EDGE_") and name not in overrides
    }


def wait_for(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE_S} s: {what}")
        time.sleep(0.05)


@pytest.fixture
def boxes(tmp_path: Path) -> Iterator[tuple[Box, Box]]:
    cwd = tmp_path / "shared-cwd"
    cwd.mkdir()
    pair = (Box(tmp_path / "box-a", cwd), Box(tmp_path / "box-b", cwd))
    with ExitStack() as stack:
        for box in pair:
            stack.callback(stop_all, box.processes)
            box.cli("db", "upgrade")
            box.cli("event", "load", str(EVENT_FILE))
            llrp = free_port()
            box.cli("role", "set", "master", "--event", SLUG, "--point", "FINISH",
                    "--reader", f"127.0.0.1:{llrp}")  # fmt: skip
            box.start("emulator", "simulate-reader", "--host", "127.0.0.1", "--port", str(llrp),
                      "--scenario", "burst", "--tags", "10", "--rate", "40",
                      "--duration", "600", "--quiet")  # fmt: skip
            box.start("reader", "reader")
            box.start("worker", "worker", "--concurrency", "2")
            server = box.start("serve", "serve", "--host", "127.0.0.1", "--port", str(box.port))
            wait_http(f"{box.url}/healthz", server)
        yield pair


def test_switching_one_box_leaves_the_other_untouched(boxes: tuple[Box, Box]) -> None:
    a, b = boxes
    for box in boxes:
        wait_for(lambda box=box: box.reads() > 0, f"reads stored in {box.data_dir.name}")
        wait_for(lambda box=box: box.role() == "master", f"{box.data_dir.name} serving")
    b_file = (b.data_dir / "reader.json").read_bytes()

    a.cli("role", "set", "unconfigured")
    wait_for(lambda: a.role() == "unconfigured", "box A unconfigured")

    assert b.role() == "master"
    assert (b.data_dir / "reader.json").read_bytes() == b_file
    b_reads = b.reads()
    wait_for(lambda: b.reads() > b_reads, "box B still storing reads after A's switch")
    assert '"role": "unconfigured"' in (a.data_dir / "reader.json").read_text()
    # Each box's files are in its own folder; none in the working directory they share.
    for box in boxes:
        assert (box.data_dir / "setup-pin.txt").exists()
    assert list(a.cwd.iterdir()) == []
