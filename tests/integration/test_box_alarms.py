"""The box's alarms gathered from a real SQLite file and shown by GET /api/v1/alarms."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.domain.clock import now_us
from edge.roleconfig import ReaderConfig, RoleConfig, save_role
from edge.settings import Settings
from tests.liveevent import SLUG, started_event
from tests.syncbox import crossing, record

pytestmark = pytest.mark.integration

SECOND = 1_000_000
READER = "127.0.0.1:5999"


def box(tmp_path: Path, **settings: float) -> Iterator[TestClient]:  # type: ignore[type-arg]
    text, start = started_event(minutes_ago=30)
    # FINISH sets its own delay; START keeps the box's setting.
    text = text.replace("kind: finish", "kind: finish, no_read_alarm_s: 60")
    role = RoleConfig(role="master", event=SLUG, point="FINISH",
                      reader=ReaderConfig(host="127.0.0.1", port=5999))  # fmt: skip
    save_role(tmp_path / "reader.json", role)
    app = create_app(Settings(db=tmp_path / "edge.db", **settings))  # type: ignore[arg-type]
    with TestClient(app=app) as client:
        assert client.post("/api/v1/events", content=text.encode()).status_code == 201
        client.race_start_us = int(start.timestamp()) * SECOND  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    yield from box(tmp_path)


def alarms(client: TestClient, language: str = "en") -> dict[str, dict[str, object]]:  # type: ignore[type-arg]
    client.cookies.set("lang", language)
    response = client.get("/api/v1/alarms")
    assert response.status_code == 200, response.text
    return {alarm["key"]: alarm for alarm in response.json()}


def test_a_box_without_reader_service_or_worker_in_an_open_race(client: TestClient):  # type: ignore[type-arg]
    found = alarms(client)
    assert set(found) == {
        f"reader_disconnected:reader {READER}",
        "no_read:point FINISH",  # this box's point, its race open for 30 min, nothing read
        "worker_down:box",
    }  # START never read and is not this box's point: a point without a reader is quiet
    assert found["no_read:point FINISH"]["severity"] == "critical"
    # Silent since the race started (nothing was ever read there).
    assert found["no_read:point FINISH"]["since_us"] == client.race_start_us  # type: ignore[attr-defined]
    assert str(found["no_read:point FINISH"]["message"]).startswith("No read at FINISH for 18")
    french = alarms(client, "fr")
    assert french["worker_down:box"]["message"] == (
        "Le worker ne tourne pas : ni synchronisation, ni résultats en direct, ni sauvegardes"
    )
    assert french["worker_down:box"]["message_en"] == found["worker_down:box"]["message"]


def test_no_read_per_point_and_per_antenna(client: TestClient, tmp_path: Path):  # type: ignore[type-arg]
    db = tmp_path / "edge.db"
    now = now_us()
    record(db, "FINISH", crossing("E1", now - 2 * SECOND, antenna=1), "box")
    record(db, "FINISH", crossing("E2", now - 300 * SECOND, antenna=2), "box")
    record(db, "START", crossing("E3", now - 600 * SECOND, antenna=1), "box")
    found = alarms(client)
    assert "no_read:point FINISH" not in found
    antenna = found["no_read:point FINISH antenna 2"]
    assert antenna["antenna"] == 2
    assert antenna["point"] == "FINISH"
    # START read once, 10 min ago: now it is watched, silent beyond the default 120 s.
    last_read = now - 600 * SECOND + 500_000  # the crossing's reads last 0.5 s past its peak
    assert found["no_read:point START"]["since_us"] == last_read


def test_the_box_setting_is_the_default_delay(tmp_path: Path):
    db = tmp_path / "edge.db"
    for client in box(tmp_path, alarm_no_read_s=900):
        record(db, "START", crossing("E3", now_us() - 600 * SECOND), "box")
        found = alarms(client)
        assert "no_read:point START" not in found  # 10 min < 15 min
        assert "no_read:point FINISH" in found  # its own 60 s


def test_the_workers_own_report_never_says_the_worker_is_down(tmp_path: Path):
    """The worker's status report, made while its heartbeat row says it drains (a stop: the
    row is written before the running jobs, a report among them, finish) or is stale (a
    full disk refuses the beat): the box's API says the worker is down, the report does
    not (it would raise ``worker_down`` on central at every restart; test_alarms_central)."""
    import asyncio
    import sqlite3

    from edge.alarms.service import current_alarms

    with closing_box(tmp_path) as client:
        settings = Settings(db=tmp_path / "edge.db")
        with sqlite3.connect(settings.db) as db:
            db.execute(
                "INSERT INTO job_worker (id, host, pid, queues, concurrency, status, running,"
                " heartbeat_us, started_us) VALUES ('box:1', 'box', 1, 'default', 2,"
                " 'draining', 1, ?, ?)",
                (now_us(), now_us() - 60 * SECOND),
            )
        assert "worker_down:box" in alarms(client)
        reported = asyncio.run(current_alarms(settings, by_worker=True))
        assert "worker_down" not in {alarm.code for alarm in reported}
        assert "reader_disconnected" in {alarm.code for alarm in reported}  # the rest is told
        asked = asyncio.run(current_alarms(settings))
        assert "worker_down" in {alarm.code for alarm in asked}


closing_box = contextlib.contextmanager(box)
