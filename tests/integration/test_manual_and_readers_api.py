"""Manual bib entry and reader health over HTTP, on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.domain.clock import now_us
from edge.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BASE = "/api/v1/events/spring-10k-2026"
SECOND = 1_000_000


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(Settings(db=tmp_path / "edge.db"))
    with TestClient(app=app) as test_client:
        event = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
        assert test_client.post("/api/v1/events", content=event).status_code == 201
        entrants = (ROOT / "docs/examples/entrants.csv").read_bytes()
        assert test_client.post(f"{BASE}/entrants/import", content=entrants).status_code == 201
        test_client.db_path = tmp_path / "edge.db"  # type: ignore[attr-defined]
        yield test_client


def test_a_typed_bib_is_a_manual_passing_at_the_instant_of_entry(client: TestClient):  # type: ignore[type-arg]
    before = now_us()
    response = client.post(f"{BASE}/points/finish/manual", json={"bib": " 1 "})
    after = now_us()
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["added"] is True
    assert body["known_bib"] is True
    assert body["passing"]["method"] == "manual"
    assert body["passing"]["point"] == "FINISH"
    assert body["passing"]["bib"] == "1"
    [row] = client.get(f"{BASE}/passings", params={"bib": "1"}).json()
    assert row["method"] == "manual"
    exported = client.get(f"{BASE}/passings", params={"point": "FINISH"}).json()
    assert len(exported) == 1
    db = sqlite3.connect(client.db_path)  # type: ignore[attr-defined]
    try:
        [(time_us, source)] = db.execute("SELECT time_us, source FROM passing").fetchall()
    finally:
        db.close()
    assert before <= time_us <= after
    assert source == "api"


def test_double_entry_within_the_repeat_window_is_not_counted_twice(client: TestClient):  # type: ignore[type-arg]
    first = client.post(f"{BASE}/points/FINISH/manual", json={"bib": "2"})
    again = client.post(f"{BASE}/points/FINISH/manual", json={"bib": "2"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["added"] is False
    assert again.json()["passing"]["id"] == first.json()["passing"]["id"]
    elsewhere = client.post(f"{BASE}/points/KM5/manual", json={"bib": "2"})
    assert elsewhere.status_code == 201
    assert len(client.get(f"{BASE}/passings", params={"bib": "2"}).json()) == 2


def test_unknown_bib_is_kept_and_flagged_bad_input_is_refused(client: TestClient):  # type: ignore[type-arg]
    unknown = client.post(f"{BASE}/points/FINISH/manual", json={"bib": "999"})
    assert unknown.status_code == 201
    assert unknown.json()["known_bib"] is False
    empty = client.post(f"{BASE}/points/FINISH/manual", json={"bib": "  "})
    assert empty.status_code == 422
    assert empty.json()["problems"][0]["where"] == "bib"
    nowhere = client.post(f"{BASE}/points/BRIDGE/manual", json={"bib": "1"})
    assert nowhere.status_code == 404
    assert "BRIDGE" in nowhere.json()["detail"]
    no_event = client.post("/api/v1/events/nope/points/FINISH/manual", json={"bib": "1"})
    assert no_event.status_code == 404
    assert len(client.get(f"{BASE}/passings").json()) == 1


def test_readers_show_what_the_reader_service_wrote(client: TestClient):  # type: ignore[type-arg]
    assert client.get("/api/v1/readers").json() == []
    now = now_us()
    db = sqlite3.connect(client.db_path)  # type: ignore[attr-defined]
    try:
        with db:
            db.execute(
                "INSERT INTO reader_health (reader, event_slug, point_code, connected,"
                " connected_since_us, last_read_us, last_message_us, reads_total, reads_per_s,"
                " clock_offset_us, reconnects, last_error, pid, updated_us)"
                " VALUES (?, ?, ?, 1, ?, ?, ?, 1234, ?, ?, 2, '', 42, ?),"
                " (?, ?, ?, 1, ?, ?, ?, 10, '{}', 0, 0, '', 43, ?)",
                (
                    "10.0.0.20:5084",
                    "spring-10k-2026",
                    "FINISH",
                    now - 90 * SECOND,
                    now - SECOND // 2,
                    now,
                    json.dumps({"1": 40.0, "2": 12.5}),
                    846_000_000_000_000,
                    now,
                    "10.0.0.21:5084",
                    "spring-10k-2026",
                    "KM5",
                    now - 900 * SECOND,
                    now - 600 * SECOND,
                    now - 600 * SECOND,
                    now - 600 * SECOND,
                ),
            )
    finally:
        db.close()
    finish, km5 = client.get("/api/v1/readers").json()
    assert finish["reader"] == "10.0.0.20:5084"
    assert (finish["connected"], finish["reading"], finish["service_running"]) == (
        True,
        True,
        True,
    )
    assert finish["reads_per_s"] == {"1": 40.0, "2": 12.5}
    assert finish["clock_offset_us"] == 846_000_000_000_000
    assert finish["reconnects"] == 2
    # The KM5 service stopped writing ten minutes ago: its "connected" is stale.
    assert (km5["connected"], km5["service_running"], km5["reading"]) == (False, False, False)
