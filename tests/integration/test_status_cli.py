"""``chrono-edge status``: what Ansible's status.yml reads from each box, read-only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edge.cli import cli
from tests.browser import EXAMPLE_EVENT, EXAMPLE_SLUG

pytestmark = pytest.mark.integration


def chrono(box: Path, *args: str) -> str:
    done = CliRunner().invoke(cli, ["--data-dir", str(box), *args])
    assert done.exit_code == 0, done.output
    return done.output


def status(box: Path) -> dict[str, Any]:
    found = json.loads(chrono(box, "status", "--json"))
    assert isinstance(found, dict)
    return found


def test_a_new_box_reports_its_version_and_creates_no_database(tmp_path: Path) -> None:
    found = status(tmp_path)
    assert found["version"]
    assert found["sync"] == {"master": None, "central": None}
    assert found["tunnel"]["state"] == "not-enrolled"
    assert not (tmp_path / "edge.db").exists()  # status only looks


def test_a_slave_with_an_unforwarded_passing_shows_its_role_and_lag(tmp_path: Path) -> None:
    chrono(tmp_path, "event", "load", str(EXAMPLE_EVENT))
    chrono(
        tmp_path,
        *("role", "set", "slave", "--event", EXAMPLE_SLUG, "--point", "start"),
        *("--master-url", "http://10.0.0.1", "--event-key", "k3y"),
    )
    chrono(
        tmp_path,
        *("passings", "add", "--event", EXAMPLE_SLUG, "--point", "START"),
        *("--bib", "7", "--time", "2026-04-12T09:30:05+02:00"),
    )
    found = status(tmp_path)
    assert (found["role"], found["event"], found["point"]) == ("slave", EXAMPLE_SLUG, "START")
    assert found["master_url"] == "http://10.0.0.1"
    assert "k3y" not in json.dumps(found)  # the event key is not status
    assert found["sync"]["master"]["pending"] >= 1
    assert found["sync"]["master"]["acked_seq"] == 0
    text = chrono(tmp_path, "status")
    assert "role: slave" in text
    assert "sync to master: " in text


def test_an_unreadable_reader_json_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "reader.json").write_text("{not json")
    found = status(tmp_path)
    assert found["role"] is None
    assert "reader.json" in found["problem"]
