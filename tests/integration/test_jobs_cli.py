"""``chrono-edge jobs ...``: what an operator types on a box, on a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edge.cli import cli
from edge.cli.base import EXIT_ERROR, EXIT_INVALID_INPUT

pytestmark = pytest.mark.integration


Jobs = Callable[..., Result]


@pytest.fixture
def jobs(tmp_path: Path) -> Jobs:
    """``chrono-edge --db <tmp>/edge.db jobs ARGS...``, in process."""
    runner = CliRunner()
    db = tmp_path / "edge.db"

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["--db", str(db), "jobs", *args])

    return run


def test_enqueue_pause_cancel_retry_resume_and_stats(jobs: Jobs):
    added = jobs("enqueue", "diagnostics.sleep", "--payload", '{"seconds": 0}', "--repeat", "3")
    assert (added.exit_code, added.output) == (0, "enqueued 3 job(s): 1..3\n")
    assert jobs("pause", "default").output == "pause default: done\n"

    stats = json.loads(jobs("stats", "--json").output)
    assert stats["states"]["available"] == 3
    assert stats["queues"]["default"]["paused"] is True
    assert stats["worker"] == {"heartbeat_age_s": None, "running": False}
    assert "worker not running" in jobs("stats").output

    assert jobs("cancel", "2").output == "cancel 2: cancelled\n"
    again = jobs("cancel", "2")
    assert again.exit_code == EXIT_ERROR
    assert "job 2 is cancelled: nothing to cancel" in again.output
    listed = jobs("list", "--state", "cancelled").output.splitlines()
    assert [line.split()[:3] for line in listed] == [["2", "cancelled", "diagnostics.sleep"]]

    assert jobs("retry", "2").exit_code == 0
    shown = jobs("show", "2").output
    assert "state: available" in shown
    assert "payload: {'seconds': 0}" in shown
    assert jobs("resume", "default").exit_code == 0
    assert json.loads(jobs("stats", "--json").output)["queues"]["default"]["paused"] is False


def test_mistakes_are_reported_without_a_traceback(jobs: Jobs):
    bad_json = jobs("enqueue", "diagnostics.sleep", "--payload", "{seconds: 1}")
    assert bad_json.exit_code == EXIT_INVALID_INPUT
    assert "--payload is not JSON" in bad_json.output
    unknown = jobs("enqueue", "no.such.kind")
    assert unknown.exit_code == EXIT_INVALID_INPUT
    assert "unknown job kind 'no.such.kind'" in unknown.output
    assert "diagnostics.sleep" in unknown.output  # it says which kinds exist
    missing = jobs("show", "999")
    assert (missing.exit_code, missing.output) == (EXIT_ERROR, "error: no job 999\n")
    state = jobs("list", "--state", "finished")
    assert state.exit_code == EXIT_INVALID_INPUT
    for result in (bad_json, unknown, missing, state):
        assert "Traceback" not in result.output
