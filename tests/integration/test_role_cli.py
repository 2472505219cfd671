"""``chrono-edge role``: a box's role given on the command line, checked as /setup checks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.roleconfig import Role, load_file_role
from tests.browser import EXAMPLE_EVENT, EXAMPLE_SLUG

pytestmark = pytest.mark.integration


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A box's folder with the example event loaded; its reader.json not written yet."""
    runner = CliRunner()
    loaded = runner.invoke(
        cli, ["--db", str(tmp_path / "edge.db"), "event", "load", str(EXAMPLE_EVENT)]
    )
    assert loaded.exit_code == 0, loaded.output
    return tmp_path


def role(box: Path, *args: str) -> tuple[int, str]:
    done = CliRunner().invoke(
        cli, ["--db", str(box / "edge.db"), "role", *args, "--role-file", str(box / "reader.json")]
    )
    return done.exit_code, done.output


def test_a_master_of_the_event_at_its_point_reading_its_reader(box: Path) -> None:
    code, output = role(
        box,
        "set",
        "master",
        "--event",
        EXAMPLE_SLUG,
        "--point",
        "finish",
        "--reader",
        "10.0.0.20:5085",
    )
    assert code == 0, output
    saved = load_file_role(box / "reader.json")
    assert saved.role is Role.MASTER
    assert (saved.event, saved.point) == (EXAMPLE_SLUG, "FINISH")  # the event's spelling
    assert (saved.reader.host, saved.reader.port) == ("10.0.0.20", 5085)
    assert saved.event_key  # made for the slaves to type in
    assert json.loads(output)["event_key"] == saved.event_key
    code, shown = role(box, "show")
    assert code == 0
    assert json.loads(shown)["point"] == "FINISH"


def test_a_wrong_point_or_a_slave_without_master_changes_nothing(box: Path) -> None:
    assert role(box, "set", "master", "--event", EXAMPLE_SLUG, "--point", "FINISH")[0] == 0
    before = (box / "reader.json").read_bytes()
    code, output = role(box, "set", "master", "--event", EXAMPLE_SLUG, "--point", "KM42")
    assert code == 65
    assert "point" in output
    code, output = role(box, "set", "slave", "--event", EXAMPLE_SLUG, "--point", "FINISH")
    assert code == 65
    assert "master_url" in output
    code, output = role(box, "set", "master", "--reader", "host:99999")
    assert code == 2
    assert "HOST:PORT" in output
    assert (box / "reader.json").read_bytes() == before
