"""/results and /entrants of a 300-runner race, 20 rows a page, in Chromium.

Pages change and searches answer without reloading the page, the live redraw keeps
the page one is on, the back button goes back a page, and without JavaScript the
same links and form still page and search (the rows are in the HTML).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import LiveBox, browser_page, live_box, wait_for_js
from tests.liveevent import SLUG, write_started_event

pytestmark = [pytest.mark.e2e]

RUNNERS = 300
FINISHERS = 250  # bib N finishes in 30 min + (250 - N) s: the higher the bib, the faster
PER_PAGE = 20
RESULT_ROWS = "#results-live tr[data-bib]"
ENTRANT_ROWS = "#entrants tr[data-bib]"


@pytest.fixture(scope="module")
def race(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveBox, dt.datetime]]:
    folder = tmp_path_factory.mktemp("paged")
    event_file, w1 = write_started_event(folder, 50)
    entrants = folder / "entrants.csv"
    lines = ["bib;last_name;first_name;sex;birth_year;race;wave"]
    lines += [f"{b};Runner{b};Kim;{'FM'[1 - b % 2]};{1960 + b % 45};10K;W1" for b in range(1, 301)]
    entrants.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {"CHRONO_EDGE_PAGE_ROWS": str(PER_PAGE)}
    with live_box(folder / "box", event_file=event_file, entrants=entrants, env=env) as box:
        rows = ["point,bib,time"]
        for bib in range(1, FINISHERS + 1):
            finish = w1 + dt.timedelta(minutes=30, seconds=FINISHERS - bib)
            rows.append(f"FINISH,{bib},{finish.isoformat()}")
        answer = httpx.post(
            f"{box.url}/api/v1/events/{SLUG}/passings/import", content="\n".join(rows).encode()
        )
        assert answer.status_code in (200, 201), answer.text
        yield box, w1


def bibs(page: Any, rows: str = RESULT_ROWS) -> list[str]:
    return list(page.eval_on_selector_all(rows, "rs => rs.map(r => r.dataset.bib)"))


def wait_for_bibs(page: Any, wanted: list[str], rows: str = RESULT_ROWS) -> None:
    found = f"Array.from(document.querySelectorAll({rows!r}), r => r.dataset.bib).join()"
    wait_for_js(page, f"{found} === {','.join(wanted)!r}", timeout_ms=10_000)


def ranked(box: LiveBox) -> list[str]:
    answer = httpx.get(f"{box.url}/api/v1/events/{SLUG}/races/10K/results")
    return [row["bib"] for row in answer.json()]


def test_results_page_through_search_and_redraw_without_reloading(
    race: tuple[LiveBox, dt.datetime],
) -> None:
    box, w1 = race
    everyone = ranked(box)
    with browser_page() as page:
        page.goto(f"{box.url}/results")
        assert bibs(page) == everyone[:PER_PAGE]
        assert "Page 1 of 15" in page.inner_text("#pager")
        page.evaluate("window.sameDocument = true")  # gone if the page were reloaded

        page.click('#pager a[rel="next"]')
        wait_for_bibs(page, everyone[20:40])
        assert "page=2" in page.url
        assert "Page 2 of 15" in page.inner_text("#pager")
        page.click('#pager a[rel="last"]')
        wait_for_bibs(page, everyone[280:])
        page.go_back()  # the browser's Back: page 2 again
        wait_for_bibs(page, everyone[20:40])

        # Bib 12 finishes 239th, on page 12: a search from page 2 finds it at once.
        page.fill("#search", "runner12")
        wait_for_bibs(page, [*map(str, range(129, 119, -1)), "12"])
        assert "q=runner12" in page.url
        assert "page=" not in page.url  # a new search starts at its first page
        page.fill("#search", "RUNNER12")
        page.fill("#search", "runner120")
        wait_for_bibs(page, ["120"])
        page.fill("#search", "")
        wait_for_bibs(page, everyone[:PER_PAGE])

        # On page 2, a runner not seen yet finishes first: the redraw keeps page 2,
        # whose rows all move down one rank.
        page.click('#pager a[rel="next"]')
        wait_for_bibs(page, everyone[20:40])
        passing = {
            "point": "FINISH",
            "bib": "300",
            "time": (w1 + dt.timedelta(minutes=29)).isoformat(),
        }
        answer = httpx.post(f"{box.url}/api/v1/events/{SLUG}/passings", json=passing)
        assert answer.status_code == 201
        wait_for_bibs(page, everyone[19:39])
        assert "Page 2 of 15" in page.inner_text("#pager")
        assert page.evaluate("window.sameDocument") is True


def test_results_page_and_search_without_javascript(race: tuple[LiveBox, dt.datetime]) -> None:
    box, _ = race
    everyone = ranked(box)
    with browser_page() as scripted:
        browser = scripted.context.browser
        assert browser is not None
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{box.url}/results?tab=scratch")
        assert bibs(page) == everyone[:PER_PAGE]
        page.click('#pager a[rel="next"]')
        page.wait_for_url("**page=2**")
        assert bibs(page) == everyone[20:40]
        page.fill("#search", "runner77")
        page.press("#search", "Enter")
        page.wait_for_url("**q=runner77**")
        assert bibs(page) == ["77"]
        context.close()


def test_entrants_page_through_and_search_as_one_types(race: tuple[LiveBox, dt.datetime]) -> None:
    box, _ = race
    with browser_page() as page:
        page.goto(f"{box.url}/entrants")
        assert bibs(page, ENTRANT_ROWS) == [str(b) for b in range(1, 21)]
        assert "Entrants: 300" in page.inner_text("#entrant-count")
        page.click('#pager a[rel="next"]')
        wait_for_bibs(page, [str(b) for b in range(21, 41)], ENTRANT_ROWS)
        page.fill("#search", "runner25")  # no Enter: the rows follow the typing
        wait_for_bibs(page, ["25", *map(str, range(250, 260))], ENTRANT_ROWS)
        assert "Entrants: 11" in page.inner_text("#entrant-count")
        page.click('#entrants tr[data-bib="255"] a')
        page.wait_for_url("**/entrants/255/edit**")
