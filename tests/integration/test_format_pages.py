"""Results pages of lap, timed, relay and segmented races on a real SQLite file (issue 19)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from edge.app import create_app
from edge.settings import Settings
from tests.formatevent import ENTRANTS, PASSINGS, SLUG, at, format_event

BASE = f"/api/v1/events/{SLUG}"


@pytest.fixture
def box(tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    """A box with the formats event, its races started 50 minutes ago, and every passing."""
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    text, start = format_event(50)
    with TestClient(app=create_app(settings)) as client:
        assert client.post("/api/v1/events", content=text.encode()).status_code == 201
        assert client.post(f"{BASE}/entrants/import", content=ENTRANTS.encode()).status_code == 201
        for point, bib, minutes, seconds in PASSINGS:
            body = {"point": point, "bib": bib, "time": at(start, minutes, seconds)}
            assert client.post(f"{BASE}/passings", json=body).status_code == 201
        yield client


def row(html: str, attribute: str, value: str) -> str:
    """The HTML of the table row whose ``attribute`` is ``value``, up to the next such row."""
    begin = html.find(f'<tr {attribute}="{value}"')
    assert begin >= 0, f"no row {attribute}={value}"
    ends = [html.find(mark, begin + 1) for mark in (f"<tr {attribute}=", "</table>\n</div>")]
    return html[begin : min(e for e in ends if e > 0)]


def text_of(html: str) -> str:
    """The visible words of an HTML fragment, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_lap_race_shows_laps_and_each_lap_time_unfolded(box: TestClient[Litestar]) -> None:
    page = box.get("/results?race=CRIT").text
    assert re.findall(r'<tr data-bib="([^"]+)"', page) == ["101", "102", "103"]
    winner = row(page, "data-bib", "101")
    assert '<details class="unfold" data-key="laps-101">' in winner
    assert "<summary>3 / 3</summary>" in winner
    assert re.findall(r'<li class="time">([^<]+)</li>', winner) == [
        "0:10:00.0",
        "0:09:30.0",
        "0:09:00.5",
    ]
    assert text_of(winner).endswith("0:28:30.5 Finished")
    # Her bounced read 4 s after the 2nd crossing adds no lap: 2 of 3, on course.
    second = row(page, "data-bib", "102")
    assert "<summary>2 / 3</summary>" in second
    assert re.findall(r'<li class="time">([^<]+)</li>', second) == ["0:11:00.0", "0:11:00.0"]
    assert text_of(second).endswith("On course")
    french = box.get("/results?race=CRIT", headers={"accept-language": "fr"}).text
    assert '<th class="num">Tours</th>' in french


def test_a_timed_race_shows_laps_and_distance(box: TestClient[Litestar]) -> None:
    page = box.get("/results?race=1H").text
    assert "Distance (m)" in page
    assert re.findall(r'<tr data-bib="([^"]+)"', page) == ["201", "202"]  # more laps first
    first, second = row(page, "data-bib", "201"), row(page, "data-bib", "202")
    assert "<summary>4</summary>" in first
    assert '<td class="num distance">5000</td>' in first
    assert '<td class="num distance">3750</td>' in second


def test_a_race_with_segments_shows_each_segment_time_and_rank(box: TestClient[Litestar]) -> None:
    page = box.get("/results?race=DUO").text
    assert re.findall(r'<th class="num" data-segment="([^"]+)"', page) == ["RUN", "BIKE"]
    segments = re.findall(r'<td class="num segment">(.*?)</td>', row(page, "data-bib", "401"))
    assert [text_of(s) for s in segments] == ["0:09:00.0 (1)", "0:21:00.0 (1)"]
    # 402 ran slower and is on the bike: a RUN time ranked 2nd, no BIKE time yet.
    segments = re.findall(r'<td class="num segment">(.*?)</td>', row(page, "data-bib", "402"))
    assert [text_of(s) for s in segments] == ["0:10:00.0 (2)", ""]


def test_a_relay_lists_teams_with_their_legs_to_unfold(box: TestClient[Litestar]) -> None:
    page = box.get("/results?race=RELAY&tab=sex").text  # a relay has only its team ranking
    assert re.findall(r'data-tab="([^"]+)"', page) == ["scratch"]
    assert re.findall(r'<tr data-team="([^"]+)"', page) == ["Les Fusées", "Team Zèbre"]
    assert "1 of 2 teams finished" in page
    fusees = row(page, "data-team", "Les Fusées")
    assert text_of(fusees).startswith("1 Les Fusées")
    assert text_of(fusees).endswith("0:36:00.7 Finished")
    legs = re.findall(r'<tr data-leg="[^"]+">(.*?)</tr>', fusees)
    assert [text_of(leg) for leg in legs] == [
        "L1 301 Léa Rapide 0:12:00.0 1",
        "L2 302 Marc Vite 0:11:00.0 1",
        "L3 303 Zoé Éclair 0:13:00.7 1",
    ]
    assert '<details class="unfold" data-key="team-Les Fusées"><summary>' in fusees  # folded
    zebre = row(page, "data-team", "Team Zèbre")
    legs = re.findall(r'<tr data-leg="[^"]+">(.*?)</tr>', zebre)
    assert [text_of(leg) for leg in legs][:2] == [
        "L1 311 Paul Lent 0:15:00.0 2",
        "L2 312 Anne Calme",
    ]
    assert text_of(zebre).endswith("On course")


def test_a_relay_search_finds_a_team_by_its_name_or_any_runner(box: TestClient[Litestar]) -> None:
    def teams(query: str) -> list[str]:
        page = box.get(f"/results?race=RELAY&q={query}").text
        return re.findall(r'<tr data-team="([^"]+)"', page)

    assert teams("zebre") == ["Team Zèbre"]  # a part of the team's name, no accent typed
    assert teams("302") == ["Les Fusées"]  # a runner's bib
    assert teams("eclair") == ["Les Fusées"]  # a runner's name
    assert teams("nobody") == []
    found = box.get("/results?race=RELAY&q=tranquille").text
    assert 'data-key="team-Team Zèbre" open>' in found  # the runner found is in sight


def test_the_speaker_board_of_a_lap_race_counts_laps_to_go(box: TestClient[Litestar]) -> None:
    board = box.get(f"{BASE}/arrivals?race=CRIT").json()
    shown = [
        (a["bib"], a["time"], a["laps"], a["laps_to_go"], a["rank"]) for a in board["arrivals"]
    ]
    assert shown == [
        ("101", "0:28:30.5", 3, 0, 1),  # finished
        ("102", "0:22:00.0", 2, 1, None),  # on her last lap (the bounced read is no lap)
        ("101", "0:19:30.0", 2, 1, None),
        ("103", "0:12:00.0", 1, 2, None),
        ("102", "0:11:00.0", 1, 2, None),
        ("101", "0:10:00.0", 1, 2, None),
    ]
    assert board["soon"] == []  # no projection from a split passed on every lap


def test_the_speaker_board_of_a_relay_shows_each_handover(box: TestClient[Litestar]) -> None:
    board = box.get(f"{BASE}/arrivals?race=RELAY").json()
    shown = [
        (a["team"], a["bib"], a["last_name"], a["leg"], a["next_leg"], a["time"], a["rank"])
        for a in board["arrivals"]
    ]
    assert shown == [
        ("Les Fusées", "303", "Éclair", "L3", None, "0:36:00.7", 1),
        ("Les Fusées", "302", "Vite", "L2", "L3", "0:23:00.0", None),
        ("Team Zèbre", "311", "Lent", "L1", "L2", "0:15:00.0", None),
        ("Les Fusées", "301", "Rapide", "L1", "L2", "0:12:00.0", None),
    ]
    merged = box.get(f"{BASE}/arrivals").json()  # every race of the event on one board
    # Newest first whatever the race: 1H's lap at 40:00, the relay's finish, 1H's at 36:00.
    assert [a["bib"] for a in merged["arrivals"][:3]] == ["201", "303", "202"]


def test_the_console_counts_relay_teams_and_timed_runners_as_still_running(
    box: TestClient[Litestar],
) -> None:
    page = box.get(f"/?event={SLUG}").text
    counts = dict(re.findall(r'id="count-(\w+)">(\d+)<', page))
    # CRIT: 101 finished, 102 and 103 on course. 1H: 201 and 202 have laps, but the hour
    # is not over: on course. RELAY: Les Fusées finished, Team Zèbre on course (teams,
    # not six runners). DUO: 401 finished, 402 on course.
    assert counts == {"started": "9", "finished": "3", "on_course": "6", "out": "0"}
    assert "Relays are counted by team, not by runner." in page


def test_a_relay_pages_its_teams_and_a_search_still_unfolds_the_runner(
    box: TestClient[Litestar],
) -> None:
    def teams(query: str) -> list[str]:
        return re.findall(r'<tr data-team="([^"]+)"', box.get(f"/results/rows?{query}").text)

    assert teams("race=RELAY&per_page=1") == ["Les Fusées"]
    second = box.get("/results?race=RELAY&per_page=1&page=2").text
    assert re.findall(r'<tr data-team="([^"]+)"', second) == ["Team Zèbre"]
    assert "Page 2 of 2" in second
    assert "1 of 2 teams finished" in second  # the count is the race's, not the page's
    found = box.get("/results/rows?race=RELAY&per_page=1&q=tranquille").text
    assert 'data-key="team-Team Zèbre" open>' in found
    assert "Rows 1 to 1 of 1" in found
