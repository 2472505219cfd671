"""Central's public results page in Chromium: a runner between splits is on course, then DNF.

Real processes on loopback: central (``chrono-central serve`` on SQLite) and a MASTER box
enrolled with it (``serve`` and ``worker``, which publishes the results document). The race
closes because the organiser loads the event again with a shorter cutoff, not by waiting.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.roleconfig import CentralLink, RoleConfig, save_role
from tests.browser import browser_page, live_box
from tests.liveevent import SLUG, write_started_event
from tests.servers import central_process, free_port

pytestmark = [pytest.mark.e2e]

KEY = base64.b64encode(bytes(range(32))).decode()
MIN = dt.timedelta(minutes=1)
DEADLINE_S = 60.0


def enrolled(central: str, database_url: str, event: str = SLUG) -> CentralLink:
    """Enroll a box for ``event`` with central as ``chrono-edge enroll`` does; return its link."""
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "central", "enroll-token", "create", "--event", event]
    issued = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True)
    assert issued.returncode == 0, issued.stderr
    body = {"token": json.loads(issued.stdout)["token"], "serial": "finish-box",
            "hostname": "pi-finish", "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    answer = httpx.post(f"{central}/api/v1/enroll", json=body)
    assert answer.is_success, answer.text
    granted = answer.json()
    return CentralLink(url=central, device_id=granted["device_id"],
                       device_token=granted["device_token"],
                       tunnel_address=granted["tunnel_address"])  # fmt: skip


def published_status(central: str, bib: str) -> str | None:
    """Bib's status in the results central serves to the public (None: not yet there)."""
    answer = httpx.get(f"{central}/api/v1/public/events/{SLUG}/results", params={"race": "10K"})
    if answer.status_code != 200:
        return None
    rows: list[dict[str, Any]] = answer.json()["rows"]
    return next((str(r["status"]) for r in rows if r["bib"] == bib), None)


def wait_published(central: str, bib: str, status: str) -> None:
    """Wait until central publishes ``status`` for ``bib`` (the worker pushes every 2 s)."""
    deadline = time.monotonic() + DEADLINE_S
    while published_status(central, bib) != status:
        if time.monotonic() > deadline:
            now = published_status(central, bib)
            pytest.fail(f"central still says {now!r} for bib {bib}, not {status!r}")
        time.sleep(0.2)


def status_cell(page: Any, bib: str) -> str:
    return str(page.inner_text(f'tr[data-bib="{bib}"] td.status')).strip()


def test_central_shows_on_course_while_the_race_is_open_then_dnf(tmp_path: Path) -> None:
    event_file, w1 = write_started_event(tmp_path, 60)  # cutoff 2 h: open for another hour
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(database_url, free_port(), tmp_path) as central:
        workdir = tmp_path / "box"
        workdir.mkdir()
        link = enrolled(central, database_url)
        save_role(workdir / "reader.json", RoleConfig(event=SLUG, point="FINISH", central=link))
        with live_box(workdir, event_file=event_file, worker=True) as box, browser_page() as page:
            with httpx.Client(base_url=f"{box.url}/api/v1/events/{SLUG}") as api:
                for point, bib, minutes in (("FINISH", "2", 38), ("KM5", "4", 15)):
                    body = {"point": point, "bib": bib, "time": (w1 + minutes * MIN).isoformat()}
                    assert api.post("/passings", json=body).status_code == 201
            wait_published(central, "4", "ONC")
            public = f"{central}/public/events/{SLUG}?race=10K"
            page.goto(public)
            assert status_cell(page, "4") == "On course"
            assert status_cell(page, "2") == "Finished"
            assert status_cell(page, "3") == "DNS"  # never seen on the course
            row = page.locator('tr[data-bib="4"] td')
            assert "0:15:00.0" in row.all_inner_texts()  # the split it passed
            assert "DNF" not in page.inner_text("table")

            # The organiser shortens the cutoff to 45 min: W2 started 50 min ago, it is over.
            shorter = event_file.read_text(encoding="utf-8")
            shorter = shorter.replace('cutoff: "02:00:00"', 'cutoff: "00:45:00"')
            event_file.write_text(shorter, encoding="utf-8")
            box.cli("event", "load", str(event_file))
            wait_published(central, "4", "DNF")
            page.goto(public)
            assert status_cell(page, "4") == "DNF"
            assert "0:15:00.0" not in page.locator('tr[data-bib="4"] td').all_inner_texts()
            assert status_cell(page, "2") == "Finished"
            assert "On course" not in page.inner_text("table")
