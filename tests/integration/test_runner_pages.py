"""Central's runner, follow and widget pages over HTTP, fed through the real sync API.

A live ``chrono-central serve`` on SQLite; an enrolled MASTER pushes results documents
as its worker does (``tests.runnerlab``). What a spectator (or a CDN in front) notices:
the runner's status, splits with pace and rank, a prediction that moves with a new
version, French or English, a friendly 404, 304s while nothing changed, no cookie, and a
widget that other sites may frame while nothing else may be.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.runnerlab import EVENT, POINTS, Publisher, row, ten_k
from tests.security.test_headers import assert_protected
from tests.servers import central_process, free_port

pytestmark = pytest.mark.integration

RUNNER = f"/public/events/{EVENT}/runners"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Publisher]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(url, free_port(), tmp_path) as base:
        yield base, Publisher(base, url)


def prediction(html: str) -> str:
    found = re.search(r'id="prediction" data-finish-us="(\d+)"', html)
    assert found, "no prediction on the page"
    return found.group(1)


def test_a_runner_on_course_has_splits_pace_rank_and_a_prediction(
    site: tuple[str, Publisher],
) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    answer = httpx.get(f"{base}{RUNNER}/7")
    assert answer.status_code == 200
    page = answer.text
    assert "Zoé7 Näme7" in page
    assert 'data-status="ONC"' in page
    assert "On course" in page
    # KM5 in 25:00 at 5 km: 5:00 /km; two runners passed there sooner, bib 3 in the same
    # 25:00 (a tie shares the rank), six in all.
    km5 = re.search(r'<tr data-point="KM5">(.*?)</tr>', page, re.S)
    assert km5 is not None
    assert "0:25:00.0" in km5.group(1)
    assert "5:00 /km" in km5.group(1)
    assert re.search(r"<td class=\"rank\">3<small> / 6</small>", km5.group(1))
    # Bibs 3 and 4 (25:00 and 26:00 at 5 km) took x2.1 and x2.115: close to 52:40, well
    # away from the 50:00 of "same pace as so far".
    finish_us = int(prediction(page))
    assert 52 * 60 * 10**6 < finish_us < 53 * 60 * 10**6
    assert "0:52:" in page
    assert_protected(answer)
    assert "set-cookie" not in answer.headers


def test_the_page_is_cacheable_and_changes_with_a_new_version(site: tuple[str, Publisher]) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500), (8, 1700)]), points=POINTS)
    first = httpx.get(f"{base}{RUNNER}/8")
    etag = first.headers["etag"]
    # Like the event pages: a browser revalidates at each load, a cache in front keeps it 5 s.
    assert first.headers["cache-control"] == "public, max-age=0, s-maxage=5"
    assert first.headers["vary"] == "Accept-Language"
    again = httpx.get(f"{base}{RUNNER}/8", headers={"If-None-Match": etag})
    assert again.status_code == 304
    before = prediction(first.text)
    # Bib 7 finishes at x2.1 of its 5 km time: the field near bib 8's pace changes.
    box.publish("10K", ten_k([(7, 1500), (8, 1700)], extra_finishers=1), points=POINTS)
    deadline = time.monotonic() + 10
    while (
        later := httpx.get(f"{base}{RUNNER}/8", headers={"If-None-Match": etag})
    ).status_code == 304:
        assert time.monotonic() < deadline, "the new version never showed"
        time.sleep(0.2)
    assert later.status_code == 200
    assert later.headers["etag"] != etag
    assert prediction(later.text) != before
    finished = httpx.get(f"{base}{RUNNER}/7").text
    assert "Finished" in finished
    assert 'id="prediction"' not in finished


def test_the_way_back_names_the_event_as_its_box_reported_it(
    site: tuple[str, Publisher],
) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)

    def way_back(page: str) -> str:
        found = re.search(r'<p class="crumbs"><a href="([^"]+)">([^<]+)</a>', page)
        assert found, "no link back to the event"
        assert found.group(1) == f"/public/events/{EVENT}?race=10K"
        return found.group(2)

    first = httpx.get(f"{base}{RUNNER}/7")
    assert way_back(first.text) == f"{EVENT} · 10K"  # no name reported yet: the slug
    box.report_event("Les 10 km du Printemps")
    deadline = time.monotonic() + 10  # central looks the name up again within a second
    while (
        later := httpx.get(f"{base}{RUNNER}/7", headers={"If-None-Match": first.headers["etag"]})
    ).status_code == 304:
        assert time.monotonic() < deadline, "the event's name never showed"
        time.sleep(0.2)
    assert way_back(later.text) == "Les 10 km du Printemps · 10K"
    assert "<title>7 Zoé7 Näme7 · 10K · Les 10 km du Printemps</title>" in later.text
    widget = httpx.get(f"{base}/public/events/{EVENT}/widget", params={"race": "10K"}).text
    assert 'rel="noopener">Les 10 km du Printemps · 10K</a></h1>' in widget


def test_french_by_the_address_or_the_browser(site: tuple[str, Publisher]) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    french = httpx.get(f"{base}{RUNNER}/7", params={"lang": "fr"})
    assert "En course" in french.text
    assert "Arrivée estimée" in french.text
    assert "vary" not in french.headers  # the address decides: one copy per URL
    browser = httpx.get(f"{base}{RUNNER}/7", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "En course" in browser.text
    english = httpx.get(f"{base}{RUNNER}/7", headers={"Accept-Language": "en"})
    assert "On course" in english.text
    assert "En course" not in english.text
    assert english.headers["etag"] != browser.headers["etag"]


def test_an_unknown_bib_or_event_gets_a_friendly_404(site: tuple[str, Publisher]) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    missing = httpx.get(f"{base}{RUNNER}/4242")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert "No runner with bib 4242" in missing.text
    assert 'action="/public/events/spring-10k-2026/follow"' in missing.text
    french = httpx.get(f"{base}{RUNNER}/4242", params={"lang": "fr"})
    assert "Aucun coureur avec le dossard 4242" in french.text
    nowhere = httpx.get(f"{base}/public/events/no-such-event/runners/7")
    assert nowhere.status_code == 404
    assert "No runner with bib 7" in nowhere.text
    assert_protected(missing)


def test_a_document_from_an_older_box_has_no_pace_but_still_ranks(
    site: tuple[str, Publisher],
) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]))  # no points: a box older than the runner pages
    page = httpx.get(f"{base}{RUNNER}/7").text
    assert "/km" not in page
    assert re.search(r"<td class=\"rank\">3<small> / 6</small>", page)
    # The field ran 5 km -> finish: the prediction needs no distance.
    assert 52 * 60 * 10**6 < int(prediction(page)) < 53 * 60 * 10**6


def test_the_follow_page_shows_each_bib(site: tuple[str, Publisher]) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    box.publish("5K", [row(501, "FIN", None, 1300, 1)], points=POINTS)
    answer = httpx.get(f"{base}/public/events/{EVENT}/follow", params={"bibs": "7,501,4242,7"})
    assert answer.status_code == 200
    cards = re.findall(r'<article data-bib="([^"]+)"', answer.text)
    assert cards == ["7", "501", "4242"]
    assert "Not in the published results." in answer.text
    assert 'href="/public/events/spring-10k-2026/runners/501"' in answer.text
    assert "etag" in answer.headers


def test_the_widget_may_be_framed_by_other_sites_and_nothing_else(
    site: tuple[str, Publisher],
) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    widget = httpx.get(
        f"{base}/public/events/{EVENT}/widget", params={"race": "10K", "style": "dark"}
    )
    assert widget.status_code == 200
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "x-frame-options" not in widget.headers
    assert re.findall(r'<tr data-bib="(\d+)">', widget.text) == ["1", "2", "3", "4", "5"]
    assert '<body class="dark">' in widget.text
    bad = httpx.get(f"{base}/public/events/{EVENT}/widget", params={"race": "10K", "style": "neon"})
    assert bad.status_code == 400
    assert "Unknown style neon" in bad.text
    no_race = httpx.get(f"{base}/public/events/{EVENT}/widget", params={"race": "42K"})
    assert no_race.status_code == 400
    assert "?race= one of 10K" in no_race.text
    # The runner page itself stays unframeable.
    assert_protected(httpx.get(f"{base}{RUNNER}/7"))


def test_the_script_is_served_from_central_itself(site: tuple[str, Publisher]) -> None:
    base, _ = site
    script = httpx.get(f"{base}/public/assets/runner.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "localStorage" in script.text
