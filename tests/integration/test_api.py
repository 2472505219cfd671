"""The HTTP API on a real SQLite file, through Litestar's test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EVENT = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
ENTRANTS = (ROOT / "docs/examples/entrants.csv").read_bytes()
BASE = "/api/v1/events/spring-10k-2026"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(Settings(db=tmp_path / "edge.db"))
    with TestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
def loaded(client: TestClient) -> TestClient:  # type: ignore[type-arg]
    assert client.post("/api/v1/events", content=EVENT).status_code == 201
    response = client.post(f"{BASE}/entrants/import", content=ENTRANTS)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 6
    return client


def test_health_and_openapi(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/healthz").json()["status"] == "ok"
    schema = client.get("/schema/openapi.json").json()
    assert f"{BASE.replace('spring-10k-2026', '{slug}')}/entrants/import" in schema["paths"]


def test_event_load_is_idempotent_and_readable(loaded: TestClient) -> None:  # type: ignore[type-arg]
    again = loaded.post("/api/v1/events", content=EVENT).json()
    assert again == {"slug": "spring-10k-2026", "created": False, "changes": []}
    event = loaded.get(BASE).json()
    assert [p["code"] for p in event["timing_points"]] == ["START", "KM5", "FINISH"]
    race = event["races"][0]
    assert (race["code"], race["min_time"], race["cutoff"]) == ("10K", "00:25:00", "02:00:00")
    assert [r["code"] for r in loaded.get(f"{BASE}/races").json()] == ["10K"]
    assert loaded.get("/api/v1/events").json()[0]["slug"] == "spring-10k-2026"


def test_bad_event_file_is_422_with_problems(client: TestClient) -> None:  # type: ignore[type-arg]
    bad = EVENT.replace(b"timezone: Europe/Paris", b"timezone: Mars/Olympus")
    response = client.post("/api/v1/events", content=bad)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert any(p["where"] == "timezone" and p["line"] == 5 for p in problems)
    assert client.get("/api/v1/events").json() == []


def test_entrants_dry_run_reports_bad_rows_without_writing(
    loaded: TestClient,  # type: ignore[type-arg]
) -> None:
    bad = b"bib,last_name,race\n7,Durand,10K\n8,Moreau,42K\n"
    dry = loaded.post(f"{BASE}/entrants/import?dry_run=true", content=bad)
    assert dry.status_code == 201
    assert [p["line"] for p in dry.json()["problems"]] == [3]
    real = loaded.post(f"{BASE}/entrants/import", content=bad)
    assert real.status_code == 422
    assert len(loaded.get(f"{BASE}/entrants").json()) == 6


def test_manual_passing_then_results(loaded: TestClient) -> None:  # type: ignore[type-arg]
    body = {"point": "FINISH", "bib": "2", "time": "2026-04-12T10:10:00+02:00"}
    first = loaded.post(f"{BASE}/passings", json=body)
    assert first.status_code == 201
    assert loaded.post(f"{BASE}/passings", json=body).status_code == 200
    results = loaded.get(f"{BASE}/races/10K/results").json()
    assert results[0]["bib"] == "2"
    assert (results[0]["status"], results[0]["gun_time"]) == ("FIN", "0:40:00.0")
    csv_text = loaded.get(f"{BASE}/races/10K/results?format=csv").text
    assert csv_text.splitlines()[1].startswith("1,2,Jean,Dupont,M")
    assert len(loaded.get(f"{BASE}/passings").json()) == 1


def test_errors_map_to_statuses(loaded: TestClient) -> None:  # type: ignore[type-arg]
    assert loaded.get("/api/v1/events/nope").status_code == 404
    assert loaded.get(f"{BASE}/races/99K/results").status_code == 404
    naive = {"point": "FINISH", "bib": "2", "time": "2026-04-12T10:10:00"}
    assert loaded.post(f"{BASE}/passings", json=naive).status_code == 422
    unknown_point = {"point": "KM42", "bib": "2", "time": "2026-04-12T10:10:00Z"}
    assert loaded.post(f"{BASE}/passings", json=unknown_point).status_code == 404


def test_dsq_set_by_hand_removes_a_finisher_from_the_ranking(
    loaded: TestClient,  # type: ignore[type-arg]
) -> None:
    for bib, clock in (("2", "10:10:00"), ("1", "10:12:00")):
        body = {"point": "FINISH", "bib": bib, "time": f"2026-04-12T{clock}+02:00"}
        assert loaded.post(f"{BASE}/passings", json=body).status_code == 201
    response = loaded.put(f"{BASE}/entrants/2/status", json={"status": "DSQ"})
    assert response.json()["manual_status"] == "DSQ"
    results = loaded.get(f"{BASE}/races/10K/results").json()
    assert [(r["bib"], r["rank"], r["status"]) for r in results][:1] == [("1", 1, "FIN")]
    assert (results[-1]["bib"], results[-1]["status"], results[-1]["rank"]) == ("2", "DSQ", None)
    loaded.put(f"{BASE}/entrants/2/status", json={"status": None})
    assert loaded.get(f"{BASE}/races/10K/results").json()[0]["bib"] == "2"
