"""``chrono-edge status``: what Ansible's status.yml reads from each box, read-only."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
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
        *("--master-url", "http://10.0.0.1", "--event-key", "spring-10k-slave-key"),
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


def event_file(path: Path, slug: str, start: datetime) -> Path:
    """An event whose one race starts at ``start`` (one hour's cutoff)."""
    path.write_text(
        json.dumps(
            {
                "slug": slug,
                "name": slug,
                "date": start.date().isoformat(),
                "timezone": "UTC",
                "timing_points": [{"code": "FINISH", "kind": "finish", "distance_m": 10000}],
                "races": [
                    {
                        "code": "10K",
                        "name": "10 km",
                        "cutoff": "01:00:00",
                        "points": ["FINISH"],
                        "waves": [{"code": "W1", "start": start.isoformat()}],
                    }
                ],
            }
        )
    )
    return path


def test_a_race_under_way_is_live_and_a_past_or_future_one_is_not(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    box = tmp_path / "box"
    for slug, start in (
        ("under-way", now - timedelta(minutes=10)),
        ("last-week", now - timedelta(days=7)),
        ("tomorrow", now + timedelta(days=1)),
    ):
        chrono(box, "event", "load", str(event_file(tmp_path / f"{slug}.json", slug, start)))
    found = status(box)
    (live,) = found["live_races"]
    assert (live["event"], live["race"]) == ("under-way", "10K")
    closes = datetime.fromisoformat(live["open_until"])
    assert closes == now - timedelta(minutes=10) + timedelta(hours=1)
    assert "live race: under-way 10K" in chrono(box, "status")


def test_readers_report_whether_their_service_still_writes(tmp_path: Path) -> None:
    chrono(tmp_path, "db", "upgrade")
    now = datetime.now(UTC)
    with sqlite3.connect(tmp_path / "edge.db") as db:
        db.executemany(
            "INSERT INTO reader_health (reader, event_slug, point_code, connected, reads_total,"
            " reads_per_s, reconnects, last_error, pid, updated_us)"
            " VALUES (?, '', '', ?, 0, '{}', 0, ?, 0, ?)",
            [
                ("10.0.0.5:5084", 1, "", int(now.timestamp() * 1e6)),
                ("10.0.0.6:5084", 0, "refused", int((now - timedelta(hours=1)).timestamp() * 1e6)),
            ],
        )
    readers = {reader["reader"]: reader for reader in status(tmp_path)["readers"]}
    assert readers["10.0.0.5:5084"]["connected"]
    assert readers["10.0.0.5:5084"]["running"]
    assert not readers["10.0.0.6:5084"]["running"]
    assert readers["10.0.0.6:5084"]["last_error"] == "refused"
    assert "10.0.0.6:5084: not connected, its service is not running" in chrono(tmp_path, "status")
