"""/results of a lap race and of a relay in Chromium: laps and legs unfold, and stay unfolded
while the page redraws itself for new passings (issue 19)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser import browser_page, live_box, wait_for_js
from tests.formatevent import PASSINGS, SLUG, at, write_format_event

pytestmark = [pytest.mark.e2e]

LAPS_OF_102 = '#results-live tr[data-bib="102"] ol.lap-times li'


def test_laps_and_legs_unfold_and_stay_unfolded_through_live_updates(tmp_path: Path) -> None:
    event_file, entrants, start = write_format_event(tmp_path, 50)
    box_dir = tmp_path / "box"
    with (
        live_box(box_dir, event_file=event_file, entrants=entrants, slug=SLUG) as box,
        browser_page() as page,
        httpx.Client(base_url=f"{box.url}/api/v1/events/{SLUG}") as api,
    ):
        for point, bib, minutes, seconds in PASSINGS:
            body = {"point": point, "bib": bib, "time": at(start, minutes, seconds)}
            assert api.post("/passings", json=body).status_code == 201
        page.goto(f"{box.url}/results?race=CRIT")
        assert not page.locator(LAPS_OF_102).first.is_visible()  # folded at first
        page.click('#results-live tr[data-bib="102"] summary')
        assert page.locator(LAPS_OF_102).all_inner_texts() == ["0:11:00.0", "0:11:00.0"]

        # Her third crossing: the page redraws itself with her finish, still unfolded.
        body = {"point": "FINISH", "bib": "102", "time": at(start, 31)}
        assert api.post("/passings", json=body).status_code == 201
        wait_for_js(page, f"document.querySelectorAll({LAPS_OF_102!r}).length === 3")
        assert page.locator(LAPS_OF_102).all_inner_texts() == [
            "0:11:00.0",
            "0:11:00.0",
            "0:09:00.0",
        ]
        assert page.locator(LAPS_OF_102).last.is_visible()
        assert page.locator('#results-live tr[data-bib="102"] td.rank').inner_text() == "2"

        page.goto(f"{box.url}/results?race=RELAY")
        legs = '#results-live tr[data-team="Team Zèbre"] tr[data-leg]'
        assert not page.locator(legs).first.is_visible()
        page.click('#results-live tr[data-team="Team Zèbre"] summary')
        assert page.locator(legs).count() == 3
        assert page.locator(legs).first.is_visible()
        page.fill("#search", "eclair")  # a runner of the other team, typed without accent
        wait_for_js(
            page,
            "document.querySelectorAll('#results-live tr[data-team]').length === 1",
        )
        fusees = '#results-live tr[data-team="Les Fusées"]'
        assert page.locator(f'{fusees} tr[data-leg="L3"]').is_visible()  # unfolded for her
