"""A MASTER as central's runner pages see it: enrolled, pushing results documents.

``Publisher`` enrolls with a live central like ``chrono-edge enroll`` and pushes each
results document through ``POST /api/v1/sync/batches`` as the box's worker does (one
``results_snapshot`` change per batch, seq after seq). ``ten_k`` writes the document of a
10K with a split at 5 km: finishers, a runner on course, one not started.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from typing import Any

import httpx

EVENT = "spring-10k-2026"
COLUMNS = ["rank", "bib", "first_name", "last_name", "sex", "category", "sex_rank",
           "category_rank", "team", "status", "gun_time", "chip_time", "split_KM5",
           "club"]  # fmt: skip
POINTS = [
    {"code": "KM5", "kind": "split", "distance_m": 5000},
    {"code": "FINISH", "kind": "finish", "distance_m": 10000},
]


def chrono_central(database_url: str, *args: str) -> str:
    """``chrono-central ARGS`` on ``database_url``; its output."""
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "central", *args], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


class Publisher:
    """One enrolled MASTER of ``event`` that publishes results documents to central."""

    def __init__(self, base: str, database_url: str, event: str = EVENT) -> None:
        self.base = base
        self.event = event
        issued = chrono_central(database_url, "enroll-token", "create", "--event", event, "--json")
        body = {"token": json.loads(issued)["token"], "serial": "runner-box",
                "hostname": "pi-runner", "version": "0.1.0",
                "wg_public_key": base64.b64encode(bytes(32)).decode()}  # fmt: skip
        granted = httpx.post(f"{base}/api/v1/enroll", json=body)
        assert granted.status_code == 201, granted.text
        self.device = granted.json()["device_id"]
        self.headers = {
            "Authorization": f"Bearer {granted.json()['device_token']}",
            "Content-Encoding": "gzip",
        }
        self.seq = 0
        self.clock_us = 1_000

    def report_event(self, name: str) -> None:
        """Report the box's event (its name) as the box's status reports do."""
        event = {"slug": self.event, "name": name, "date": "2026-04-12", "timezone": "UTC"}
        answer = httpx.post(f"{self.base}/api/v1/devices/status",
                            json={"role": "master", "event": event},
                            headers={"Authorization": self.headers["Authorization"]})  # fmt: skip
        assert answer.status_code == 204, answer.text

    def publish(self, race: str, rows: list[dict[str, Any]], **extra: Any) -> None:
        """Push ``rows`` as the race's new results document (``extra``: points, state...)."""
        self.seq += 1
        self.clock_us += 1_000
        payload = {"event": self.event, "race": race, "updated_us": self.clock_us,
                   "columns": COLUMNS, "rows": rows, **extra}  # fmt: skip
        change = {"seq": self.seq, "table": "results_snapshot", "op": "upsert",
                  "row_id": f"{self.event}/{race}", "payload": payload}  # fmt: skip
        batch = {"device_id": self.device, "seq_from": self.seq, "seq_to": self.seq,
                 "changes": [change]}  # fmt: skip
        answer = httpx.post(f"{self.base}/api/v1/sync/batches", headers=self.headers,
                            content=gzip.compress(json.dumps(batch).encode()))  # fmt: skip
        assert answer.is_success, answer.text


def clock(seconds: int) -> str:
    """A time cell as the box writes it (H:MM:SS.t)."""
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}.0"


def row(bib: int, status: str, km5_s: int | None, finish_s: int | None = None,
        rank: int | None = None) -> dict[str, Any]:  # fmt: skip
    """A runner's row of the 10K."""
    return {"rank": rank, "bib": str(bib), "first_name": f"Zoé{bib}", "last_name": f"Näme{bib}",
            "sex": "F", "category": "SE-F", "sex_rank": rank, "category_rank": rank,
            "team": None, "status": status, "gun_time": clock(finish_s) if finish_s else None,
            "chip_time": clock(finish_s) if finish_s else None,
            "split_KM5": clock(km5_s) if km5_s else None, "club": "AC Lyon"}  # fmt: skip


FINISHERS = [(1, 1200, 2520), (2, 1380, 2900), (3, 1500, 3150), (4, 1560, 3300), (5, 1800, 3960)]
"""(bib, time at 5 km, finish) in seconds: the field slows by x2.1 to x2.2 over the second half."""


def ten_k(on_course: list[tuple[int, int]], extra_finishers: int = 0) -> list[dict[str, Any]]:
    """The 10K's rows: FINISHERS (plus the first ``extra_finishers`` of ``on_course`` finished
    at x2.1), the rest of ``on_course`` (bib, time at 5 km) on course, bib 99 not started."""
    finished = list(FINISHERS)
    running = []
    for n, (bib, km5) in enumerate(on_course):
        if n < extra_finishers:
            finished.append((bib, km5, round(km5 * 2.1)))
        else:
            running.append(row(bib, "ONC", km5))
    finished.sort(key=lambda f: f[2])
    rows = [row(bib, "FIN", km5, fin, rank) for rank, (bib, km5, fin) in enumerate(finished, 1)]
    return [*rows, *running, row(99, "DNS", None)]
