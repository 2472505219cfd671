"""/api/v1/events/{slug}/corrections and the console page, through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
BASE = f"/api/v1/events/{SLUG}"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as test_client:
        event = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
        assert test_client.post("/api/v1/events", content=event).status_code == 201
        entrants = (ROOT / "docs/examples/entrants.csv").read_bytes()
        assert test_client.post(f"{BASE}/entrants/import", content=entrants).status_code == 201
        yield test_client


def _finish(client: TestClient, bib: str, clock: str) -> str:  # type: ignore[type-arg]
    body = {"point": "FINISH", "bib": bib, "time": f"2026-04-12T{clock}+02:00"}
    response = client.post(f"{BASE}/passings", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["passing"]["id"])


def test_create_list_undo_and_clear_errors(client: TestClient) -> None:  # type: ignore[type-arg]
    passing = _finish(client, "1", "10:10:00")
    ranked = client.get(f"{BASE}/races/10K/results").json()
    assert ranked[0]["bib"] == "1"
    made = client.post(
        f"{BASE}/corrections", json={"kind": "ignore", "passing_id": passing, "by": "Zoé"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["created_by"] == "Zoé"
    assert client.get(f"{BASE}/races/10K/results").json()[0]["status"] != "FIN"
    assert [c["id"] for c in client.get(f"{BASE}/corrections").json()] == [made.json()["id"]]

    undo = f"{BASE}/corrections/{made.json()['id']}/undo"
    assert client.post(undo, json={"by": "Léo"}).json()["undone_by"] == "Léo"
    assert client.post(undo).status_code == 409
    assert client.get(f"{BASE}/races/10K/results").json() == ranked

    for body, status in (
        ({"kind": "ignore", "passing_id": "nope"}, 404),
        ({"kind": "add", "bib": "999", "point": "FINISH", "time": "10:00:00"}, 404),
        ({"kind": "add", "bib": "1", "point": "FINISH", "time": "soon"}, 422),
        ({"kind": "status", "bib": "1", "status": "DSQ"}, 422),
        ({"kind": "sideways"}, 422),
    ):
        response = client.post(f"{BASE}/corrections", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["detail"]
    assert client.post(f"{BASE}/corrections/nope/undo").status_code == 404
    assert len(client.get(f"{BASE}/corrections").json()) == 1  # the errors wrote nothing


def test_console_page_shows_the_event_in_french(client: TestClient) -> None:  # type: ignore[type-arg]
    _finish(client, "2", "10:05:00")
    page = client.get("/", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Spring 10K" in page.text
    assert "Saisie manuelle" in page.text
    assert "Dupont" in page.text  # bib 2's passing is in the page's opening rows
