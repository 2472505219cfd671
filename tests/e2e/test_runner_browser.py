"""Central's runner and follow pages in Chromium, at phone and desktop sizes.

Real processes on loopback: ``chrono-central serve`` on SQLite, fed by an enrolled MASTER
pushing results documents through the sync API (``tests.runnerlab``). The page updates
itself: a new document with another finisher moves the runner's predicted finish
without a reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from central.web.runner import POLL_S
from tests.browser import browser_page
from tests.runnerlab import EVENT, POINTS, Publisher, ten_k
from tests.servers import central_process, free_port

pytestmark = [pytest.mark.e2e]

SIZES = {"phone": (390, 844), "desktop": (1366, 768)}
RUNNER = f"/public/events/{EVENT}/runners"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Publisher]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with central_process(url, free_port(), tmp_path) as base:
        yield base, Publisher(base, url)


@pytest.mark.parametrize("size", SIZES)
def test_the_prediction_moves_when_a_new_split_arrives(
    site: tuple[str, Publisher], size: str
) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500), (8, 1700)]), points=POINTS)
    with browser_page(*SIZES[size]) as page:
        page.goto(f"{base}{RUNNER}/8")
        assert page.inner_text("#runner-status").strip() == "On course"
        before = page.get_attribute("#prediction", "data-finish-us")
        # 28:20 at 5 km, the field ahead took x2.1 to x2.2: between 59:30 and 1:02:20.
        assert before is not None
        assert 3570 <= int(before) / 1e6 <= 3740
        assert page.inner_text("#prediction strong").startswith(("0:59:", "1:0"))
        assert "5:40 /km" in page.inner_text('tr[data-point="KM5"]')
        # The phone shows the whole page without scrolling sideways.
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= SIZES[size][0]
        # Bib 7 (25:00 at 5 km) finishes in 52:30: the field near bib 8 has one more runner.
        box.publish("10K", ten_k([(7, 1500), (8, 1700)], extra_finishers=1), points=POINTS)
        page.wait_for_function(
            "before => document.querySelector('#prediction').dataset.finishUs !== before",
            arg=before,
            timeout=(POLL_S * 2 + 5) * 1000,
        )
        assert page.inner_text("#runner-status").strip() == "On course"
        # Bib 8 reaches the finish: the prediction makes way for the time and the rank.
        rows = ten_k([(7, 1500), (8, 1700)], extra_finishers=2)
        box.publish("10K", rows, points=POINTS)
        page.wait_for_selector("#prediction", state="detached", timeout=(POLL_S * 2 + 5) * 1000)
        status = page.inner_text("#runner-status")
        assert status.startswith("Finished · 0:59:30.0")
        assert "rank 6" in status  # after 1, 2, 3 and 7 (tied in 52:30), 4


@pytest.mark.parametrize("size", SIZES)
def test_french_and_english(site: tuple[str, Publisher], size: str) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    with browser_page(*SIZES[size]) as page:
        page.goto(f"{base}{RUNNER}/7?lang=fr")
        assert page.inner_text("#runner-status").strip() == "En course"
        assert page.inner_text("#prediction").startswith("Arrivée estimée")
        assert page.inner_text("#follow") == "Suivre"
        assert page.inner_text("table.passages thead").split() == [
            "Point",
            "Temps",
            "Allure",
            "Place",
        ]
        page.goto(f"{base}{RUNNER}/2")
        assert page.inner_text("#runner-status").startswith("Finished · 0:48:20.0 · rank 2")
        assert page.inner_text("table.passages thead").split() == ["Point", "Time", "Pace", "Rank"]


@pytest.mark.parametrize("size", SIZES)
def test_an_unknown_bib_gets_a_page_that_finds_another(
    site: tuple[str, Publisher], size: str
) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500)]), points=POINTS)
    with browser_page(*SIZES[size]) as page:
        answer = page.goto(f"{base}{RUNNER}/4242?lang=fr")
        assert answer is not None
        assert answer.status == 404
        assert page.inner_text("h1") == "Aucun coureur avec le dossard 4242"
        page.fill("#find-bib input[name=bibs]", "7")
        page.click("#find-bib button")
        page.wait_for_selector('article[data-bib="7"]')
        assert "En course" in page.inner_text('article[data-bib="7"]')


@pytest.mark.parametrize("size", SIZES)
def test_followed_runners_are_kept_in_the_browser(site: tuple[str, Publisher], size: str) -> None:
    base, box = site
    box.publish("10K", ten_k([(7, 1500), (8, 1700)]), points=POINTS)
    with browser_page(*SIZES[size]) as page:
        follow = f"{base}/public/events/{EVENT}/follow"
        page.goto(follow)
        assert page.is_visible("#follow-empty")
        for bib in ("8", "2"):
            page.goto(f"{base}{RUNNER}/{bib}")
            page.click("#follow")
            assert page.inner_text("#follow") == "Stop following"
        page.reload()
        assert page.inner_text("#follow") == "Stop following"  # kept across page loads
        page.goto(follow)  # no ?bibs=: the page asks for the browser's list
        page.wait_for_selector('article[data-bib="2"]')
        cards = page.eval_on_selector_all("article", "cards => cards.map(c => c.dataset.bib)")
        assert cards == ["8", "2"]
        assert "bibs=8%2C2" in page.url or "bibs=8,2" in page.url
        assert "Predicted finish" in page.inner_text('article[data-bib="8"]')
        assert page.context.cookies() == []  # nothing of it in a cookie
        page.click('article[data-bib="8"] a')
        page.wait_for_selector("#runner[data-bib='8']")
        page.click("#follow")  # stop following 8
        assert page.inner_text("#follow") == "Follow"
        stored = page.evaluate(f"localStorage.getItem('chronoedge.follow.{EVENT}')")
        assert stored == '["2"]'
