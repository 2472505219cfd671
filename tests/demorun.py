"""``make run`` started for real (scripts/run.sh) with its files in a folder and free ports.

Used by the demo's end-to-end test and by ``make screenshots``, which photographs
exactly what a newcomer's ``make run`` shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DemoRun:
    """The running demo: the MASTER box's URL, central's URL and the command's output."""

    box: str
    central: str
    log: Path


@contextmanager
def demo_run(workdir: Path) -> Iterator[DemoRun]:
    """Run scripts/run.sh with its data under ``workdir``; stop it (Ctrl-C) on exit."""
    edge, central = free_port(), free_port()
    env = {
        **os.environ,
        "CHRONO_RUN_VAR": str(workdir / "var"),
        "CHRONO_RUN_BIN": str(Path(sys.executable).parent),
        "CHRONO_RUN_EDGE_PORT": str(edge),
        "CHRONO_RUN_CENTRAL_PORT": str(central),
        "CHRONO_RUN_READER_PORT": str(free_port()),
        "CHRONO_RUN_SPLIT_READER_PORT": str(free_port()),
    }
    log = workdir / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield DemoRun(f"http://127.0.0.1:{edge}", f"http://127.0.0.1:{central}", log)
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
