"""/jobs and /api/v1/jobs on a real SQLite file, with a real worker in the same loop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.settings import Settings

pytestmark = pytest.mark.integration


def test_jobs_api_page_and_live_log_stream(tmp_path: Path):
    app = create_app(Settings(db=tmp_path / "edge.db"))
    with TestClient(app=app) as client:
        page = client.get("/jobs")
        assert page.status_code == 200
        assert 'class="banner" >Worker not running' in page.text.replace("  ", " ")
        created = client.post(
            "/api/v1/jobs", json={"kind": "diagnostics.sleep", "payload": {"seconds": 0.5}}
        )
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        bad = client.post("/api/v1/jobs", json={"kind": "no.such"})
        assert bad.status_code == 422
        assert "unknown job kind" in bad.json()["detail"]

        # A real worker process (the test client blocks this loop while it streams).
        command = [
            sys.executable,
            "-m",
            "edge.cli",
            "--db",
            str(tmp_path / "edge.db"),
            "worker",
            "--queues",
            "default",
        ]
        worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            stream = client.get(f"/api/v1/jobs/{job_id}/stream", timeout=20)
            text = stream.text
            assert "event: log" in text
            assert "sleeping 0.5 s" in text
            assert '"state": "completed"' in text or '"state":"completed"' in text
            assert text.index("sleeping") < text.index("completed")
            stats = (client.get("/api/v1/jobs/stats")).json()
            assert stats["worker"]["running"] is True
            assert stats["states"]["completed"] >= 1
            page = client.get("/jobs")
            assert 'id="worker-banner" class="banner" hidden' in page.text
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0

        shown = (client.get(f"/api/v1/jobs/{job_id}")).json()
        assert shown["state"] == "completed"
        assert [line["message"] for line in shown["logs"]] == ["sleeping 0.5 s", "done"]
        again = client.post(f"/api/v1/jobs/{job_id}/cancel")
        assert again.status_code == 409
        assert (client.post(f"/api/v1/jobs/{job_id}/retry")).json() == {"state": "available"}
        assert (client.post(f"/api/v1/jobs/{job_id}/cancel")).json() == {"state": "cancelled"}
        paused = client.post("/api/v1/jobs/queues/default/pause")
        assert paused.json() == {"paused": True}
        assert (client.get("/api/v1/jobs/stats")).json()["queues"]["default"]["paused"]
        assert (client.get("/api/v1/jobs/999")).status_code == 404
