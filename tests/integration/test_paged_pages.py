"""/results and /entrants a page at a time, and their rows alone (/results/rows, /entrants/rows).

A 20,000-runner race is never rendered whole: these pin what a page holds, that a
search reaches every row (not only those of the page shown), and that a page number
or size out of range is a 400 naming the parameter, not a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from edge.app import create_app
from edge.settings import Settings
from tests.liveevent import SLUG, started_event

BASE = f"/api/v1/events/{SLUG}"
RUNNERS = 250
PER_PAGE = 20
FINISHERS = 200  # bibs 1..200 finish (the higher the bib, the faster); 201..250 not seen


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Litestar]]:
    """A box with a 250-runner race, 200 finishers, showing 20 rows a page."""
    folder = tmp_path_factory.mktemp("paged")
    settings = Settings(db=folder / "edge.db", role_file=folder / "reader.json", page_rows=20)
    text, w1 = started_event(50)
    lines = ["bib;last_name;first_name;sex;birth_year;race;wave"]
    lines += [f"{b};Runner{b};Kim;{'FM'[1 - b % 2]};{1960 + b % 45};10K;W1" for b in range(1, 251)]
    entrants = ("\n".join(lines) + "\n").encode()
    rows = ["point,bib,time"]
    for bib in range(1, FINISHERS + 1):
        # Reversed: the fastest runner has the highest bib, so rank order is not bib order.
        finish = w1 + dt.timedelta(minutes=30, seconds=FINISHERS - bib)
        rows.append(f"FINISH,{bib},{finish.isoformat()}")
    with TestClient(app=create_app(settings)) as test_client:
        assert test_client.post("/api/v1/events", content=text.encode()).status_code == 201
        answer = test_client.post(f"{BASE}/entrants/import", content=entrants)
        assert answer.status_code == 201, answer.text
        answer = test_client.post(f"{BASE}/passings/import", content="\n".join(rows).encode())
        assert answer.status_code in (200, 201), answer.text
        yield test_client


def bibs(html: str) -> list[str]:
    return re.findall(r'<tr data-bib="([^"]+)"', html)


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" data-page="\d+" rel="next">', html)
    return found[1].replace("&amp;", "&") if found else None


def test_the_results_page_shows_one_page_of_rows_in_rank_order(
    client: TestClient[Litestar],
) -> None:
    everyone = [row["bib"] for row in client.get(f"{BASE}/races/10K/results").json()]
    assert len(everyone) == RUNNERS
    first = client.get("/results").text
    assert bibs(first) == everyone[:PER_PAGE] == [str(b) for b in range(200, 180, -1)]
    assert "Rows 1 to 20 of 250" in first
    assert "Page 1 of 13" in first
    # Without JavaScript: a plain link to the next page, which holds the next rows.
    link = next_link(first)
    assert link is not None
    assert "page=2" in link
    assert bibs(client.get(link).text) == everyone[20:40]
    last = client.get("/results?page=13").text
    assert bibs(last) == everyone[240:]
    assert next_link(last) is None
    assert bibs(client.get("/results?page=99").text) == everyone[240:]  # past the end: last
    assert bibs(client.get("/results?per_page=500").text) == everyone
    # A size asked for is kept from page to page (and tab to tab).
    small = client.get("/results?per_page=7&page=2").text
    assert bibs(small) == everyone[7:14]
    assert bibs(client.get(next_link(small) or "").text) == everyone[14:21]
    assert "per_page=7" in re.findall(r'<a href="([^"]+)" data-tab="sex"', small)[0]


def test_the_rows_alone_are_the_tabs_and_rows_of_the_same_page(
    client: TestClient[Litestar],
) -> None:
    everyone = [row["bib"] for row in client.get(f"{BASE}/races/10K/results").json()]
    rows = client.get("/results/rows?page=3&tab=scratch")
    assert rows.status_code == 200
    assert bibs(rows.text) == everyone[40:60]
    assert 'id="tabs"' in rows.text
    assert 'id="results-live"' in rows.text
    assert "<html" not in rows.text
    assert 'id="search"' not in rows.text
    french = client.get("/results/rows", headers={"accept-language": "fr"}).text
    assert "Page 1 sur 13" in french


def test_a_search_finds_a_runner_on_any_page(client: TestClient[Litestar]) -> None:
    # Bib 7 finishes 194th, on page 10, yet a search from page 1 finds it (70-79 are faster).
    found = client.get("/results/rows?q=runner7").text
    assert bibs(found) == [*map(str, range(79, 69, -1)), "7"]
    not_seen = client.get("/results/rows?q=Runner250").text
    assert bibs(not_seen) == ["250"]
    assert "DNS" in not_seen
    runners = client.get("/results?q=kim").text  # every runner's first name: all pages again
    assert "Rows 1 to 20 of 250" in runners
    assert "q=kim" in (next_link(runners) or "")
    assert bibs(client.get("/results/rows?q=nobody").text) == []


def test_group_tabs_page_through_their_groups_one_after_the_other(
    client: TestClient[Litestar],
) -> None:
    # 100 women (odd bibs) then 100 men: page 5 holds women 81-100, page 6 men 1-20.
    fifth = client.get("/results?tab=sex&page=5").text
    assert re.findall(r'data-group="([^"]+)"', fifth) == ["F"]
    assert "(100)" in fifth  # the group's size, not the page's
    assert bibs(fifth) == [str(b) for b in range(39, 0, -2)]
    sixth = client.get("/results?tab=sex&page=6").text
    assert re.findall(r'data-group="([^"]+)"', sixth) == ["M"]
    assert bibs(sixth)[:2] == ["200", "198"]
    assert "Page 6 of 10" in sixth
    teams = client.get("/results?tab=team").text  # no runner in a team: nothing to page
    assert "No teams yet." in teams
    assert 'id="pager"' not in teams


@pytest.mark.parametrize("path", ["/results", "/results/rows", "/entrants", "/entrants/rows"])
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=two", "page"),
        ("page=10000000", "page"),
        ("per_page=0", "per_page"),
        ("per_page=501", "per_page"),
        ("per_page=lots", "per_page"),
    ],
)
def test_a_page_number_or_size_out_of_range_is_a_400_that_names_it(
    client: TestClient[Litestar], path: str, query: str, name: str
) -> None:
    answer = client.get(f"{path}?{query}")
    assert answer.status_code == 400, answer.text
    assert name in answer.text


def test_the_entrants_page_goes_by_pages_and_searches_them_all(
    client: TestClient[Litestar],
) -> None:
    first = client.get("/entrants").text
    assert bibs(first) == [str(b) for b in range(1, 21)]
    assert "Entrants: 250" in first
    assert "Page 1 of 13" in first
    link = next_link(first)
    assert link is not None
    assert bibs(client.get(link).text) == [str(b) for b in range(21, 41)]
    small = client.get("/entrants?per_page=7&page=2").text
    assert bibs(small) == [str(b) for b in range(8, 15)]
    assert bibs(client.get(next_link(small) or "").text) == [str(b) for b in range(15, 22)]
    rows = client.get("/entrants/rows?q=runner24&page=1").text
    assert bibs(rows) == ["24", *map(str, range(240, 250))]
    assert 'id="entrants-live"' in rows
    assert "<html" not in rows
    assert bibs(client.get("/entrants/rows?q=250").text) == ["250"]


def test_the_rows_of_a_box_without_an_event_are_404(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as empty:
        for path in ("/entrants/rows", "/results/rows"):
            answer = empty.get(path)
            assert answer.status_code == 404, path
            assert "no event" in answer.json()["detail"]
