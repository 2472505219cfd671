"""Results pages, speaker screen and arrivals API on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from edge.app import create_app
from edge.auth.pin import ensure_pin
from edge.settings import Settings
from tests.browser import live_box
from tests.liveevent import SLUG, started_event, write_started_event

ROOT = Path(__file__).resolve().parents[2]
ENTRANTS = (ROOT / "docs/examples/entrants.csv").read_bytes()
BASE = f"/api/v1/events/{SLUG}"
MIN = dt.timedelta(minutes=1)
RaceBox = tuple[TestClient[Litestar], dt.datetime]


def at(start: dt.datetime, minutes: float, seconds: float = 0.0) -> str:
    return (start + dt.timedelta(minutes=minutes, seconds=seconds)).isoformat()


@pytest.fixture
def race(tmp_path: Path) -> Iterator[RaceBox]:
    """A box whose race started 50 minutes ago: 4 finishers, 2 runners seen at KM5 only."""
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    text, w1 = started_event(50)
    w2 = w1 + 10 * MIN
    with TestClient(app=create_app(settings)) as client:
        assert client.post("/api/v1/events", content=text.encode()).status_code == 201
        assert client.post(f"{BASE}/entrants/import", content=ENTRANTS).status_code == 201
        passings = [
            ("FINISH", "2", at(w1, 38, 0.5)),
            ("FINISH", "1", at(w1, 41, 0.27)),
            ("FINISH", "6", at(w1, 45, 10)),
            ("FINISH", "3", at(w2, 30, 0.99)),
            ("KM5", "5", at(w2, 20)),  # 20 min per 5 km: expected at W2 + 40 min, i.e. now
            ("KM5", "4", at(w1, 15)),  # expected 20 min ago: most likely stopped
        ]
        for point, bib, time in passings:
            answer = client.post(
                f"{BASE}/passings", json={"point": point, "bib": bib, "time": time}
            )
            assert answer.status_code == 201, answer.text
        yield client, w1


def test_arrivals_board_newest_first_with_ranks(race: RaceBox) -> None:
    client, _ = race
    board = client.get(f"{BASE}/arrivals").json()
    arrivals = [
        (a["bib"], a["time"], a["rank"], a["category"], a["category_rank"])
        for a in board["arrivals"]
    ]
    assert arrivals == [
        ("6", "0:45:10.0", 4, "SE-M", 1),
        ("1", "0:41:00.2", 3, "MA-F", 1),
        ("3", "0:30:00.9", 1, "SE-F", 1),
        ("2", "0:38:00.5", 2, "MA-M", 1),
    ]
    assert board["arrivals"][1]["sex_rank"] == 2  # Hélène is the second woman
    # Bib 5 passed KM5 and is expected about now; bib 4 was expected 20 minutes ago.
    assert [(s["bib"], s["split"], s["split_time"]) for s in board["soon"]] == [
        ("5", "KM5", "0:20:00.0")
    ]


def test_a_new_passing_moves_the_version_and_the_board(
    race: tuple[TestClient, dt.datetime],
) -> None:  # type: ignore[type-arg]
    client, w1 = race
    before = client.get(f"{BASE}/results-version").json()["version"]
    assert client.get(f"{BASE}/results-version").json()["version"] == before
    answer = client.post(
        f"{BASE}/passings", json={"point": "FINISH", "bib": "5", "time": at(w1, 49)}
    )
    assert answer.status_code == 201
    assert client.get(f"{BASE}/results-version").json()["version"] > before
    board = client.get(f"{BASE}/arrivals").json()
    assert board["arrivals"][0]["bib"] == "5"
    assert board["soon"] == []  # finished: no longer announced


def test_the_results_page_long_polls_the_version_only_when_it_asks_to_wait(
    race: tuple[TestClient, dt.datetime],
) -> None:  # type: ignore[type-arg]
    client, w1 = race
    now = client.get(f"{BASE}/results-version").json()["version"]
    # A plain check answers at once, even with the version it already has.
    assert client.get(f"{BASE}/results-version?after={now}").json()["version"] == now
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(client.get, f"{BASE}/results-version?after={now}&wait=30")
        time.sleep(0.5)
        assert not waiting.done()  # held: nothing changed yet
        passing = {"point": "FINISH", "bib": "5", "time": at(w1, 49)}
        assert client.post(f"{BASE}/passings", json=passing).status_code == 201
        assert waiting.result(timeout=10).json()["version"] > now  # woken by the passing


def test_arrivals_of_an_unknown_event_or_race_are_404(race: RaceBox) -> None:
    client, _ = race
    assert client.get("/api/v1/events/nope/arrivals").status_code == 404
    assert client.get(f"{BASE}/arrivals?race=42K").status_code == 404
    assert client.get(f"{BASE}/arrivals?race=10k").json()["races"] == ["10K"]


def bibs(html: str) -> list[str]:
    return re.findall(r'<tr data-bib="([^"]+)"', html)


def test_results_tabs(race: RaceBox) -> None:
    client, w1 = race
    scratch = client.get("/results").text
    assert bibs(scratch) == ["3", "2", "1", "6", "4", "5"]  # finishers by time, then by bib
    assert "0:30:00.9" in scratch
    # The race is open (cutoff 2 h after W2): bibs 4 and 5, seen at KM5 only, are on course,
    # shown with the split they passed, no finish time and no rank.
    assert cells_of(scratch, "5") == ["", "5", "0:20:00.0", "", "On course"]
    assert cells_of(scratch, "4") == ["", "4", "0:15:00.0", "", "On course"]
    assert "DNF" not in scratch
    sex = client.get("/results?tab=sex").text
    assert re.findall(r'data-group="([^"]+)"', sex) == ["F", "M"]
    assert bibs(sex) == ["3", "1", "2", "6"]
    category = client.get("/results?tab=category").text
    assert re.findall(r'data-group="([^"]+)"', category) == ["SE-F", "SE-M", "MA-F", "MA-M"]
    charts = client.get("/results?tab=charts").text
    assert charts.count("<svg") == 2
    assert charts.count('class="bar"') >= 2
    teams = client.get("/results?tab=team").text
    # Teams of 3 with two finishers each: listed by name, not ranked.
    assert re.findall(r'<tr data-team="([^"]+)" class="not-finished"', teams) == [
        "Les Gazelles",
        "Les Lièvres",
    ]
    third = {"point": "FINISH", "bib": "5", "time": at(w1 + 10 * MIN, 48)}
    assert client.post(f"{BASE}/passings", json=third).status_code == 201
    teams = client.get("/results?tab=team").text
    assert re.findall(r'<tr data-team="([^"]+)"', teams) == ["Les Gazelles", "Les Lièvres"]
    assert '<tr data-team="Les Gazelles">' in teams  # ranked: 30:00.99 + 41:00.27 + 48:00
    assert "1:59:01.2" in teams


def cells_of(html: str, bib: str) -> list[str]:
    """Rank, bib, KM5 split, time and status cells of one results row (name, club... left out)."""
    row = re.search(rf'<tr data-bib="{bib}".*?</tr>', html, re.S)
    assert row is not None, f"no row for bib {bib}"
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row[0], re.S)]
    return [cells[0], cells[1], *cells[-3:]]


def test_after_the_cutoff_runners_without_a_finish_are_dnf(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    text, w1 = started_event(135)  # W2 started 125 min ago: its 2 h cutoff has passed
    with TestClient(app=create_app(settings)) as client:
        assert client.post("/api/v1/events", content=text.encode()).status_code == 201
        assert client.post(f"{BASE}/entrants/import", content=ENTRANTS).status_code == 201
        for point, bib, minutes in (("FINISH", "2", 38), ("KM5", "4", 15)):
            passing = {"point": point, "bib": bib, "time": at(w1, minutes)}
            assert client.post(f"{BASE}/passings", json=passing).status_code == 201
        scratch = client.get("/results").text
        assert cells_of(scratch, "2") == ["1", "2", "", "0:38:00.0", "Finished"]
        assert cells_of(scratch, "4") == ["", "4", "", "", "DNF"]
        assert "On course" not in scratch


def test_results_search_by_bib_or_name_without_accents(
    race: tuple[TestClient, dt.datetime],
) -> None:  # type: ignore[type-arg]
    client, _ = race
    assert bibs(client.get("/results?q=helene").text) == ["1"]
    assert bibs(client.get("/results?q=2").text) == ["2"]
    assert bibs(client.get("/results?q=DUPONT%20jean").text) == ["2"]
    assert bibs(client.get("/results?q=nobody").text) == []


def test_results_page_in_french(race: RaceBox) -> None:
    client, _ = race
    page = client.get("/results?tab=sex", headers={"accept-language": "fr-FR,fr;q=0.9"}).text
    assert "Femmes" in page
    assert "Dossard" in page


def test_speaker_screen_renders_the_board_without_navigation(
    race: tuple[TestClient, dt.datetime],
) -> None:  # type: ignore[type-arg]
    client, _ = race
    page = client.get("/screen/arrivals")
    assert page.status_code == 200
    assert 'class="screen"' in page.text
    assert f"/api/v1/events/{SLUG}/arrivals/stream" in page.text
    assert '"bib": "6"' in page.text  # the first board is in the page, no wait for the stream


def test_pages_without_any_event(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as client:
        assert "No event on this box yet" in client.get("/results").text
        assert "Waiting for an event" in client.get("/screen/arrivals").text


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from an SSE line stream."""
    name, data = "message", ""
    for line in lines:
        if not line:
            if data:
                yield name, data
            name, data = "message", ""
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()


def test_arrivals_stream_pushes_a_new_finisher(tmp_path: Path) -> None:
    event_file, w1 = write_started_event(tmp_path, 50)
    with (
        live_box(tmp_path / "box", event_file=event_file) as box,
        httpx.Client(base_url=box.url, timeout=10) as client,
    ):
        url = f"{BASE}/arrivals/stream"
        with client.stream("GET", url) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = sse_events(stream.iter_lines())
            name, data = next(events)
            assert name == "board"
            assert json.loads(data)["arrivals"] == []
            passing = {"point": "FINISH", "bib": "2", "time": at(w1, 38, 0.5)}
            with httpx.Client(base_url=box.url) as other:
                assert other.post(f"{BASE}/passings", json=passing).status_code == 201
            name, data = next(events)
            arrivals = json.loads(data)["arrivals"]
            assert [(a["bib"], a["time"], a["rank"]) for a in arrivals] == [("2", "0:38:00.5", 1)]


def test_once_claimed_the_screen_and_its_stream_stay_public(race: RaceBox, tmp_path: Path) -> None:
    client, _ = race
    pin = ensure_pin(tmp_path, None)
    claim = {"pin": pin, "password": "finish-line-2026!", "password_again": "finish-line-2026!"}
    assert client.post("/api/v1/setup/claim", json=claim).status_code == 200, "claim"
    client.cookies.clear()  # a TV at the finish line has never logged in
    assert client.get("/screen/arrivals").status_code == 200
    assert client.get(f"{BASE}/arrivals").json()["arrivals"][0]["bib"] == "6"
    # The stream is public too: past the login guard, an unknown race is 404 (not 401).
    assert client.get(f"{BASE}/arrivals/stream?race=42K").status_code == 404
    assert client.get(f"{BASE}/results-version").status_code == 401
    assert client.get("/results", follow_redirects=False).status_code in (302, 303, 401)


FIVE_K = """
  - code: 5K
    name: "5 km"
    timing: gun
    min_time: "00:10:00"
    points: [START, FINISH]
    waves:
      - {code: A, start: "WAVE"}
"""


def test_a_screen_merges_the_races_of_its_event_unless_one_is_asked(tmp_path: Path) -> None:
    text, w1 = started_event(50)
    text += FIVE_K.replace("WAVE", (w1 + 5 * MIN).isoformat())
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as client:
        assert client.post("/api/v1/events", content=text.encode()).status_code == 201
        entrants = b"bib,last_name,race\n1,Ten,10K\n2,Five,5K\n3,Ten,10K\n"
        assert client.post(f"{BASE}/entrants/import", content=entrants).status_code == 201
        for bib, time in (("1", at(w1, 40)), ("2", at(w1, 30)), ("3", at(w1, 45))):
            body = {"point": "FINISH", "bib": bib, "time": time}
            assert client.post(f"{BASE}/passings", json=body).status_code == 201
        board = client.get(f"{BASE}/arrivals").json()
        assert board["races"] == ["10K", "5K"]
        shown = [(a["race"], a["bib"], a["time"], a["rank"]) for a in board["arrivals"]]
        assert shown == [
            ("10K", "3", "0:45:00.0", 2),
            ("10K", "1", "0:40:00.0", 1),
            ("5K", "2", "0:25:00.0", 1),
        ]
        only = client.get(f"{BASE}/arrivals?race=5K").json()
        assert [a["bib"] for a in only["arrivals"]] == ["2"]
        page = client.get("/results?race=5K").text
        assert bibs(page) == ["2"]
        assert 'data-race="10K"' in page


def test_teams_are_paged_and_searched_by_member_on_every_page(race: RaceBox) -> None:
    client, _ = race
    first = client.get("/results?tab=team&per_page=1").text
    assert re.findall(r'<tr data-team="([^"]+)"', first) == ["Les Gazelles"]
    assert "Page 1 of 2" in first
    second = client.get("/results/rows?tab=team&per_page=1&page=2").text
    assert re.findall(r'<tr data-team="([^"]+)"', second) == ["Les Lièvres"]
    by_member = client.get("/results/rows?tab=team&per_page=1&q=dupont").text  # bib 2
    assert re.findall(r'<tr data-team="([^"]+)"', by_member) == ["Les Lièvres"]


def test_rows_of_the_version_shown_come_without_waiting_for_a_newer_sheet(race: RaceBox) -> None:
    client, w1 = race

    def shown(html: str) -> int:
        found = re.search(r'id="results-live" data-version="(\d+)"', html)
        assert found is not None
        return int(found[1])

    first = client.get("/results/rows").text
    version = shown(first)
    assert bibs(first)[0] == "3"
    fastest = {"point": "FINISH", "bib": "5", "time": at(w1 + 10 * MIN, 25)}  # 25 min: first
    assert client.post(f"{BASE}/passings", json=fastest).status_code == 201
    # A search on the page showing `version`: answered from that sheet, as it was.
    searched = client.get(f"/results/rows?version={version}&q=5").text
    assert (bibs(searched), shown(searched)) == (["5"], version)
    assert "On course" in searched
    # The page's poll asks for the newest: bib 5 leads, and the version moved.
    newest = client.get("/results/rows").text
    assert bibs(newest)[0] == "5"
    assert shown(newest) > version
    # From then on a search of the version shown gets that newer sheet.
    again = client.get(f"/results/rows?version={shown(newest)}&q=5").text
    assert "Finished" in again
    assert client.get("/results/rows?version=-1").status_code == 400


def test_the_speaker_screen_shows_the_live_pages_qr_code_when_asked(tmp_path: Path) -> None:
    """Off by default; on, a code of the event's page on central (the setting's address, else
    the one the box enrolled with), drawn in the page itself."""
    text, _ = started_event(50)
    plain = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(plain)) as client:
        assert client.post("/api/v1/events", content=text.encode()).status_code == 201
        assert 'id="screen-qr"' not in client.get("/screen/arrivals").text
    nowhere = plain.model_copy(update={"screen_qr": True})
    with TestClient(app=create_app(nowhere)) as client:  # never enrolled, no address: no code
        assert 'id="screen-qr"' not in client.get("/screen/arrivals").text
    public = "https://results.example.org/"
    asked = plain.model_copy(update={"screen_qr": True, "public_results_url": public})
    with TestClient(app=create_app(asked)) as client:
        page = client.get("/screen/arrivals?lang=fr", headers={"Accept-Language": "fr"}).text
    figure = re.search(r'<figure id="screen-qr" data-url="([^"]+)"><svg [^>]*>(.*?)</svg>', page)
    assert figure is not None
    assert figure[1] == f"https://results.example.org/public/events/{SLUG}"
    assert 'class="qrline"' in figure[0]
    assert "Résultats en direct sur votre téléphone" in page
