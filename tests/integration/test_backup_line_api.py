"""The backup line through the HTTP API: import with ``point`` and ``tolerance``, the choice."""

from __future__ import annotations

import re
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
BACKUP = (ROOT / "tests/fixtures/csv/backup-fr-cp1252.csv").read_bytes()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as test_client:
        event = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
        assert test_client.post("/api/v1/events", content=event).status_code == 201
        entrants = (ROOT / "docs/examples/entrants.csv").read_bytes()
        assert test_client.post(f"{BASE}/entrants/import", content=entrants).status_code == 201
        # A finish typed at the line stands like a chip's: bib 2 at 10:12:00.
        body = {"point": "FINISH", "bib": "2", "time": "2026-04-12T10:12:00+02:00"}
        assert test_client.post(f"{BASE}/passings", json=body).status_code == 201
        yield test_client


def test_import_review_and_choose_through_the_api(client: TestClient) -> None:  # type: ignore[type-arg]
    imported = client.post(f"{BASE}/passings/import?point=finish", content=BACKUP)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["added"], report["fills"], report["confirms"], report["review"]) == (4, 3, 0, 1)
    assert (report["encoding"], report["delimiter"]) == ("cp1252", ";")
    stored = client.get(f"{BASE}/passings", params={"bib": "2"}).json()
    backup = next(p for p in stored if p["method"] == "import")
    assert backup["status"] == "review"
    finish = {r["bib"]: r for r in client.get(f"{BASE}/races/10K/results").json()}
    assert finish["2"]["chip_time"] == "0:42:00.0"
    assert _backup_marks(client) == {"1", "3", "6"}  # filled: nothing else finished them

    for body, status in (
        ({"kind": "choose", "passing_id": backup["id"], "status": "both"}, 422),
        ({"kind": "choose", "passing_id": "nope", "status": "backup"}, 404),
    ):
        assert client.post(f"{BASE}/corrections", json=body).status_code == status
    chosen = {"kind": "choose", "passing_id": backup["id"], "status": "backup", "by": "Zoé"}
    made = client.post(f"{BASE}/corrections", json=chosen)
    assert made.status_code == 201, made.text
    assert client.post(f"{BASE}/corrections", json=chosen).status_code == 409
    finish = {r["bib"]: r for r in client.get(f"{BASE}/races/10K/results").json()}
    assert finish["2"]["chip_time"] == "0:42:03.2"
    assert _backup_marks(client) == {"1", "2", "3", "6"}  # bib 2 now runs on the backup's time


def _backup_marks(client: TestClient) -> set[str]:  # type: ignore[type-arg]
    """Bibs whose finish the results page marks as the backup line's."""
    page = client.get("/results", params={"event": SLUG, "race": "10K"}).text
    rows = re.findall(r'<tr[^>]*data-bib="(\w+)".*?</tr>', page, flags=re.S)
    marked = re.findall(r'<tr[^>]*data-bib="(\w+)"(?:(?!</tr>).)*class="badge backup"', page, re.S)
    assert rows, "no result rows on the page"
    return set(marked)


def test_the_tolerance_parameter_and_a_file_refused_whole(client: TestClient) -> None:  # type: ignore[type-arg]
    wide = client.post(f"{BASE}/passings/import?point=FINISH&tolerance=5", content=BACKUP)
    assert (wide.json()["confirms"], wide.json()["review"]) == (1, 0)
    bad = (ROOT / "tests/fixtures/csv/backup-bad-lines.csv").read_bytes()
    before = client.get(f"{BASE}/passings").json()
    refused = client.post(f"{BASE}/passings/import?point=FINISH", content=bad)
    assert refused.status_code == 422
    assert [p["line"] for p in refused.json()["problems"]] == [3, 4, 5, 6, 7, 8]
    assert client.get(f"{BASE}/passings").json() == before
    no_point = client.post(f"{BASE}/passings/import", content=BACKUP)
    assert no_point.status_code == 422
    assert "needs --point" in no_point.text
