"""/jobs and /api/v1/jobs on a real SQLite file, with real worker processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from edge.app import create_app
from edge.cli import cli
from edge.cli.server import announce_setup_pin
from edge.jobs.box import box_registry
from edge.jobs.lease import host_id
from edge.settings import Settings
from tests.integration.test_jobs_workers import read_runs, worker_logs, worker_process
from tests.integration.test_setup_auth import box_settings, claim

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0
FRENCH = {"accept-language": "fr-FR,fr;q=0.9"}
TEST_KINDS = "tests.jobkinds:registry"


def wait_until(check: Callable[[], bool], what: str, tmp_path: Path) -> None:
    """Wait until ``check()`` holds; fail with the workers' logs after ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {WAIT_S} s\n{worker_logs(tmp_path)}")
        time.sleep(0.05)


def row_of(page: str, job_id: int) -> str:
    """The /jobs table row of one job."""
    found = re.search(rf'<tr data-job="{job_id}".*?</tr>', page, re.DOTALL)
    assert found is not None, page
    return found.group(0)


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


LIST_AND_ENQUEUE = """
import json, sys
from litestar.testing import TestClient
from edge.app import create_app
from edge.settings import Settings

with TestClient(app=create_app(Settings(db=sys.argv[1]))) as client:
    assert client.get("/jobs").status_code == 200
    assert client.get("/api/v1/jobs").status_code == 200
    added = client.post("/api/v1/jobs", json={"kind": "backup.upload"})
    assert added.status_code == 201, added.text
print(json.dumps(sorted(sys.modules)))
"""


def test_the_web_lists_and_enqueues_jobs_without_importing_what_they_run(tmp_path: Path):
    script = [sys.executable, "-c", LIST_AND_ENQUEUE, str(tmp_path / "edge.db")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(script, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    handlers = {str(k.handler).partition(":")[0] for k in box_registry(Settings()).kinds.values()}
    assert handlers == {
        "edge.jobs.archives",
        "edge.jobs.builtin",
        "edge.jobs.catalog",
        "edge.jobs.clockrole",
        "edge.jobs.exports",
        "edge.jobs.updates",
    }
    assert not handlers & loaded
    assert not {m for m in loaded if m.startswith("edge.backup")}


def test_a_job_cut_off_by_a_crash_on_its_only_attempt_says_so_and_runs_again_in_one_click(
    tmp_path: Path,
):
    db = tmp_path / "edge.db"
    folder = tmp_path / "runs"
    folder.mkdir()
    runner = CliRunner()

    def jobs(*args: str) -> Result:
        return runner.invoke(cli, ["--db", str(db), "jobs", "--kinds", TEST_KINDS, *args])

    payload = json.dumps({"folder": str(folder), "sleep_s": 600, "sleep_attempt": 1})
    added = jobs("enqueue", "test.record", "--payload", payload, "--max-attempts", "1")
    assert added.output == "enqueued 1 job(s): 1\n"
    assert jobs("enqueue", "test.fail", "--max-attempts", "1").output == "enqueued 1 job(s): 2\n"

    with TestClient(app=create_app(Settings(db=db))) as client:

        def job(job_id: int) -> dict[str, object]:
            answer = client.get(f"/api/v1/jobs/{job_id}")
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        with worker_process(db, tmp_path, "killed") as first:
            wait_until(
                lambda: job(1)["holder_pid"] == first.pid and job(2)["state"] == "discarded",
                "the long job running and the failing one discarded",
                tmp_path,
            )
            first.kill()  # SIGKILL mid-job: the row still names the dead worker
            first.wait()
        assert job(1)["state"] == "executing"

        with worker_process(db, tmp_path, "rescuer") as second:
            wait_until(lambda: job(1)["state"] == "discarded", "job 1 rescued", tmp_path)

            shown = jobs("show", "1").output
            assert "state: discarded (interrupted by a crash)\n" in shown
            why = f"rescued: worker {host_id()} pid {first.pid} died"
            assert f"error (attempt 1, interrupted by a crash): {why}\n" in shown
            raised = jobs("show", "2").output  # a job that raised is not said to have crashed
            assert "state: discarded\n" in raised
            assert "error (attempt 1): RuntimeError: boom on attempt 1\n" in raised
            assert "crash" not in raised

            page = client.get("/jobs").text
            crashed = row_of(page, 1)
            assert '<span class="state">discarded</span>' in crashed
            assert '<span class="interrupted">interrupted by a crash</span>' in crashed
            assert '<form method="post" action="/jobs/1/retry"><button' in crashed
            assert '<span class="state">discarded</span>' in row_of(page, 2)
            assert "interrupted" not in row_of(page, 2)
            assert 'action="/jobs/2/retry"' in row_of(page, 2)
            french = row_of(client.get("/jobs", headers=FRENCH).text, 1)
            assert "interrompu par un arrêt brutal" in french
            assert ">Relancer</button>" in french

            # Paused, so that the retried job is seen pending before the worker takes it.
            assert jobs("pause", "default").exit_code == 0
            clicked = client.post("/jobs/1/retry", follow_redirects=False)
            assert (clicked.status_code, clicked.headers["location"]) == (303, "/jobs?retried=1")
            after = client.get(clicked.headers["location"])
            assert 'id="notice" class="notice ok"' in after.text
            assert "Job 1 will run again." in after.text
            assert '<span class="state">available</span>' in row_of(after.text, 1)
            retried = job(1)
            assert (retried["state"], retried["attempt"], retried["max_attempts"]) == (
                "available",
                1,
                2,
            )
            assert jobs("resume", "default").exit_code == 0
            wait_until(lambda: job(1)["state"] == "completed", "retried job completed", tmp_path)

        done = job(1)
        assert (done["attempt"], done["interrupted"]) == (2, False)
        assert [e["cause"] for e in done["errors"]] == ["interrupted"]  # the history stays
        assert "interrupted" not in row_of(client.get("/jobs").text, 1)
        assert [pid for pid, _, _ in read_runs(folder)[1]] == [second.pid]


def test_the_retry_form_refuses_what_it_cannot_do_and_needs_a_login(tmp_path: Path):
    (tmp_path / "boot").mkdir()
    settings = box_settings(tmp_path)
    announce_setup_pin(settings)
    with TestClient(create_app(settings)) as operator:
        job_id = operator.post("/api/v1/jobs", json={"kind": "diagnostics.sleep"}).json()["id"]
        pending = operator.post(f"/jobs/{job_id}/retry")
        assert pending.status_code == 409
        assert 'id="notice" class="notice error"' in pending.text
        assert f"job {job_id} is available: it will run anyway" in pending.text
        missing = operator.post("/jobs/999/retry", headers=FRENCH)
        assert missing.status_code == 404
        assert "Rien n&#39;a été modifié." in missing.text
        assert "no job 999" in missing.text
        assert operator.post(f"/api/v1/jobs/{job_id}/cancel").json() == {"state": "cancelled"}

        claim(operator, settings)
        with TestClient(create_app(settings)) as stranger:
            refused = stranger.post(f"/jobs/{job_id}/retry", follow_redirects=False)
            assert refused.status_code == 302
            assert refused.headers["location"].startswith("/login")
        assert operator.get(f"/api/v1/jobs/{job_id}").json()["state"] == "cancelled"
        allowed = operator.post(f"/jobs/{job_id}/retry", follow_redirects=False)
        assert allowed.status_code == 303
        assert operator.get(f"/api/v1/jobs/{job_id}").json()["state"] == "available"
