"""The worker runs the box's own jobs: results cache, push to central, status, backups."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from edge.cli import cli as edge_cli
from edge.roleconfig import CentralLink, RoleConfig, save_role
from tests.servers import central_process, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
KEY = base64.b64encode(bytes(range(32))).decode()
ADMIN = ("ops", "a long enough password")


def wait_for(condition: Callable[[], object], what: str, timeout_s: float = 30.0) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_a_master_worker_publishes_results_syncs_reports_and_backs_up(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(url, free_port(), tmp_path) as base:
        central_settings.cache_clear()
        runner = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url})
        issued = runner.invoke(central_cli, ["enroll-token", "create", "--event", SLUG, "--json"])
        runner.invoke(central_cli, ["user", "create", ADMIN[0], "--password-stdin"],
                      input=ADMIN[1])  # fmt: skip
        central_settings.cache_clear()
        body = {"token": json.loads(issued.stdout)["token"], "serial": "finish-box",
                "hostname": "pi-finish", "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
        granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
        link = CentralLink(url=base, device_id=granted["device_id"],
                           device_token=granted["device_token"],
                           tunnel_address=granted["tunnel_address"])  # fmt: skip
        role_file = tmp_path / "reader.json"
        save_role(role_file, RoleConfig(event=SLUG, point="FINISH", central=link))
        db = tmp_path / "edge.db"
        for args in (
            ["event", "load", str(ROOT / "docs/examples/spring-10k.yaml")],
            ["entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG],
            ["passings", "import", str(ROOT / "docs/examples/passings.csv"), "--event", SLUG],
        ):
            assert CliRunner().invoke(edge_cli, ["--db", str(db), *args]).exit_code == 0
        env = {**os.environ, "CHRONO_EDGE_SYNC_EVERY_S": "0.5",
               "CHRONO_EDGE_RESULTS_CACHE_EVERY_S": "0.5", "CHRONO_EDGE_BACKUP_EVERY_S": "3600",
               "CHRONO_EDGE_CACHE_FOLDER": str(tmp_path / "cache")}  # fmt: skip
        command = [sys.executable, "-m", "edge.cli", "--db", str(db), "worker",
                   "--role-file", str(role_file)]  # fmt: skip
        log = (tmp_path / "worker.log").open("w")
        with log, subprocess.Popen(command, env=env, stdout=log, stderr=log) as worker:
            try:
                cache = tmp_path / "cache" / "results" / SLUG / "10K.json"
                wait_for(cache.exists, "the live-results document")
                assert json.loads(cache.read_text())["rows"][0]["bib"] is not None
                public = f"{base}/api/v1/public/events/{SLUG}/results"
                published = wait_for(
                    lambda: httpx.get(public, params={"race": "10K"}).status_code == 200,
                    "results published on central",
                )
                assert published
                rows = httpx.get(public, params={"race": "10K"}).json()["rows"]
                assert rows == json.loads(cache.read_text())["rows"]

                def reported() -> object:
                    devices = httpx.get(f"{base}/api/v1/devices", auth=ADMIN).json()
                    return devices and devices[0]["role"] == "master" and devices

                [device] = wait_for(reported, "the box's status report")  # type: ignore[misc]
                assert device["disk_free_pct"] > 0
                with sqlite3.connect(tmp_path / "central.db") as central_db:
                    events = central_db.execute("SELECT slug, name, date FROM central_event")
                    assert events.fetchall() == [(SLUG, "Spring 10K", "2026-04-12")]
                enqueue = CliRunner().invoke(
                    edge_cli, ["--db", str(db), "jobs", "enqueue", "backup.upload"]
                )
                assert enqueue.exit_code == 0, enqueue.output
                headers = {"Authorization": f"Bearer {link.device_token}"}
                wait_for(
                    lambda: httpx.get(f"{base}/api/v1/backups/latest", headers=headers).is_success,
                    "a backup on central",
                )
                stats = CliRunner().invoke(edge_cli, ["--db", str(db), "jobs", "stats", "--json"])
                assert json.loads(stats.stdout)["worker"]["running"] is True
            finally:
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(timeout=20) == 0
