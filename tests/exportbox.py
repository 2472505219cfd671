"""A live box with finishers, for the export tests (passings imported from a file)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.browser import EXAMPLE_SLUG, LiveBox

# W1 starts 07:30:00Z, W2 07:40:00Z; chip timing. Ranking: 3 (29:50), 2 (40:00), 1 (45:00.7).
PASSINGS = [
    "point,bib,time",
    "START,1,2026-04-12T07:30:04.250000Z",
    "KM5,1,2026-04-12T07:52:10.000000Z",
    "FINISH,1,2026-04-12T08:15:04.999999Z",
    "START,2,2026-04-12T07:30:01.000000Z",
    "FINISH,2,2026-04-12T08:10:01.000000Z",
    "START,3,2026-04-12T07:40:10.000000Z",
    "FINISH,3,2026-04-12T08:10:00Z",
    "START,6,2026-04-12T07:30:00Z",
]
FINISHERS = ["3", "2", "1"]


def add_finishers(box: LiveBox) -> None:
    """Import the passings that make bibs 3, 2 and 1 finish, in that order."""
    path = box.workdir / "passings.csv"
    path.write_text("\n".join(PASSINGS) + "\n")
    box.cli("passings", "import", str(path), "--event", EXAMPLE_SLUG)


def wait_job(box: LiveBox, job_id: int, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll a job until it is finished; return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = httpx.get(f"{box.url}/api/v1/jobs/{job_id}").json()
        if job["state"] in ("completed", "discarded", "cancelled"):
            return job
        if time.monotonic() > deadline:
            logs = (box.workdir / "worker.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"job {job_id} still {job['state']}; worker log:\n{logs}")
        time.sleep(0.2)


def exports_folder(box: LiveBox) -> Path:
    """Where the box's processes write exports (``exports/`` in its data directory)."""
    return box.workdir / "exports"
