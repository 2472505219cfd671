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


def test_max_attempts_is_stored_and_a_bad_one_is_refused_before_anything_is_written(jobs: Jobs):
    for bad, says in (
        ("0", "'--max-attempts': 0 is not in the range x>=1"),
        ("-2", "'--max-attempts': -2 is not in the range x>=1"),
        ("abc", "'--max-attempts': 'abc' is not a valid integer"),
        ("", "'--max-attempts': '' is not a valid integer"),
    ):
        refused = jobs("enqueue", "diagnostics.sleep", "--max-attempts", bad)
        assert refused.exit_code == 2, (bad, refused.output)
        assert says in refused.output
    too_many = jobs("enqueue", "diagnostics.sleep", "--max-attempts", "5000", "--repeat", "2")
    assert too_many.exit_code == EXIT_INVALID_INPUT
    assert "max_attempts must be a whole number from 1 to 1000, not 5000" in too_many.output
    assert "Traceback" not in too_many.output
    assert jobs("list").output == ""  # nothing was enqueued

    added = jobs("enqueue", "diagnostics.sleep", "--max-attempts", "3")
    assert (added.exit_code, added.output) == (0, "enqueued 1 job(s): 1\n")
    assert "max_attempts: 3\n" in jobs("show", "1").output
    copies = jobs("enqueue", "diagnostics.sleep", "--max-attempts", "1", "--repeat", "2")
    assert copies.output == "enqueued 2 job(s): 2..3\n"
    listed = jobs("list").output.splitlines()
    assert [line.split()[5] for line in listed] == ["0/1", "0/1", "0/3"]  # newest first
