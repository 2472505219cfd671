"""The speaker screen in Chromium for a lap race and a relay: laps to go, handovers (issue 19)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import browser_page, live_box, wait_for_js
from tests.formatevent import PASSINGS, SLUG, at, write_format_event

pytestmark = [pytest.mark.e2e]


def board(page: Any) -> list[tuple[str, str]]:
    """(bib, the row's text on one line) of every arrival shown, newest first."""
    rows = page.eval_on_selector_all(
        "#arrivals li", "rows => rows.map(r => [r.dataset.bib, r.innerText])"
    )
    return [(bib, " ".join(text.split())) for bib, text in rows]


def test_the_screen_tells_laps_to_go_and_handovers_live(tmp_path: Path) -> None:
    event_file, entrants, start = write_format_event(tmp_path, 50)
    with (
        live_box(tmp_path / "box", event_file=event_file, entrants=entrants, slug=SLUG) as box,
        browser_page(1920, 1080) as page,
        httpx.Client(base_url=f"{box.url}/api/v1/events/{SLUG}") as api,
    ):
        for point, bib, minutes, seconds in PASSINGS:
            body = {"point": point, "bib": bib, "time": at(start, minutes, seconds)}
            assert api.post("/passings", json=body).status_code == 201
        page.goto(f"{box.url}/screen/arrivals?race=CRIT")
        shown = board(page)
        assert shown[0] == ("101", "1 101 Jacques Anquetil VC Rouen 0:28:30.5 Finished")
        assert shown[1] == ("102", "102 Jeannie Longo CC Grenoble 0:22:00.0 Last lap")
        assert shown[3] == ("103", "103 Bernard Hinault 0:12:00.0 2 laps to go")

        page.context.add_cookies([{"name": "lang", "value": "fr", "url": box.url}])
        page.goto(f"{box.url}/screen/arrivals?race=RELAY")
        shown = board(page)
        assert shown[0] == (
            "303",
            "1 303 Zoé Éclair Les Fusées : L3 → arrivée 0:36:00.7 L3 n°1",
        )
        assert shown[1] == ("302", "302 Marc Vite Les Fusées : L2 → L3 0:23:00.0 L2 n°1")
        # Anne brings Team Zèbre's second leg in: the stream shows the handover to L3.
        body = {"point": "FINISH", "bib": "312", "time": at(start, 40)}
        assert api.post("/passings", json=body).status_code == 201
        wait_for_js(page, "document.querySelector('#arrivals li').dataset.bib === '312'")
        assert board(page)[0] == (
            "312",
            "312 Anne Calme Team Zèbre : L2 → L3 0:40:00.0 L2 n°2",
        )
