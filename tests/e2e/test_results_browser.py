"""/results in Chromium: tabs, search as one types, and live updates when passings come."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import browser_page, live_box, wait_for_js
from tests.liveevent import SLUG, write_started_event

pytestmark = [pytest.mark.e2e]

MIN = dt.timedelta(minutes=1)
ROWS = "#results-live tr[data-bib]"


def row_bibs(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(ROWS, "rs => rs.map(r => r.dataset.bib)"))


def wait_for_rows(page: Any, count: int) -> None:
    wait_for_js(page, f"document.querySelectorAll({ROWS!r}).length === {count}")


def test_results_tabs_search_and_live_update(tmp_path: Path) -> None:
    event_file, w1 = write_started_event(tmp_path, 50)
    with live_box(tmp_path / "box", event_file=event_file) as box, browser_page() as page:
        finishes = [("2", w1 + 38 * MIN), ("1", w1 + 41 * MIN), ("3", w1 + 40 * MIN)]
        with httpx.Client(base_url=f"{box.url}/api/v1/events/{SLUG}") as api:
            for bib, time in finishes:
                body = {"point": "FINISH", "bib": bib, "time": time.isoformat()}
                assert api.post("/passings", json=body).status_code == 201
            page.goto(f"{box.url}/results")
            # W2 started 10 min after W1: bib 3's chip time is 30 min, the best.
            assert row_bibs(page) == ["3", "2", "1", "4", "5", "6"]
            assert (
                page.locator('#results-live tr[data-bib="3"] td.time').last.inner_text()
                == "0:30:00.0"
            )

            page.click('#tabs a[data-tab="sex"]')
            page.wait_for_url("**tab=sex**")
            groups = page.eval_on_selector_all(
                "h2[data-group]", "hs => hs.map(h => h.dataset.group)"
            )
            assert groups == ["F", "M"]
            assert row_bibs(page) == ["3", "1", "2"]

            page.click('#tabs a[data-tab="charts"]')
            page.wait_for_url("**tab=charts**")
            assert page.locator(".charts svg").count() == 2
            assert page.locator(".charts svg rect.bar").count() >= 2

            page.click('#tabs a[data-tab="scratch"]')
            page.wait_for_url("**tab=scratch**")
            page.fill("#search", "helene")  # no accent typed, Hélène found
            wait_for_rows(page, 1)
            assert row_bibs(page) == ["1"]
            assert "q=helene" in page.url
            page.fill("#search", "")
            wait_for_rows(page, 6)

            # A new finisher: the page polls the results version and redraws by itself.
            body = {"point": "FINISH", "bib": "6", "time": (w1 + 36 * MIN).isoformat()}
            assert api.post("/passings", json=body).status_code == 201
            rank = "document.querySelector('#results-live tr[data-bib=\"6\"] td.rank')"
            wait_for_js(page, f"{rank} && {rank}.textContent.trim() === '2'")
            assert row_bibs(page)[:4] == ["3", "6", "2", "1"]
