"""'Close the race' on the console, in Debian's Chromium, against a live box."""

from __future__ import annotations

import csv
import io
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import EXAMPLE_SLUG, browser_page, live_box, wait_for_js

pytestmark = [pytest.mark.e2e]

BASE = f"/api/v1/events/{EXAMPLE_SLUG}"
ROW = '#race-states tr[data-race="10K"]'


def _state(url: str) -> tuple[str, int]:
    found = {s["race"]: s for s in httpx.get(url + BASE + "/results/state").json()}["10K"]
    return found["state"], found["version"]


def test_close_the_race_then_a_change_needs_a_reason(tmp_path: Path) -> None:
    with live_box(tmp_path / "box") as box, browser_page() as page:
        for bib, clock in (("1", "10:10:00"), ("2", "10:05:00")):
            body = {"point": "FINISH", "bib": bib, "time": f"2026-04-12T{clock}+02:00"}
            assert httpx.post(box.url + BASE + "/passings", json=body).status_code == 201

        page.goto(box.url + "/")
        assert page.locator(f"{ROW} .state").text_content() == "Provisional"
        # Nobody named: the browser does not send the form.
        page.click("#close-race")
        assert _state(box.url) == ("provisional", 1)

        page.fill("#signoff-form input[name=name]", "Claire Arbitre")
        page.click("#close-race")
        wait_for_js(page, f"document.querySelector('{ROW}').dataset.state === 'official'")
        assert page.locator(f"{ROW} .state").text_content() == "Official v1"
        assert "Claire Arbitre" in (page.locator(f"{ROW} .signed").text_content() or "")
        assert "10K" in (page.text_content("#signoff-outcome") or "")
        assert _state(box.url) == ("official", 1)

        # A passing added afterwards without a reason is refused, saying what to do.
        page.fill("#operator", "Paul")
        page.dispatch_event("#operator", "change")
        page.click("#add-form >> xpath=ancestor::details/summary")
        form = page.locator("#add-form")
        form.locator("input[name=bib]").fill("3")
        form.locator("input[name=time]").fill("10:20:00")
        form.locator("button[type=submit]").click()
        outcome = page.locator("#correction-outcome")
        wait_for_js(page, "document.getElementById('correction-outcome').textContent.length > 0")
        assert "give a reason" in (outcome.text_content() or "")
        assert _state(box.url) == ("official", 1)
        assert page.locator(f"{ROW} .state").text_content() == "Official v1"
        with closing(sqlite3.connect(box.db)) as connection:
            assert connection.execute("SELECT count(*) FROM correction").fetchone() == (0,)

        # With a reason it is made, and the results re-open as provisional version 2.
        form.locator("input[name=reason]").fill("missed by the mat, marshal's sheet")
        form.locator("button[type=submit]").click()
        wait_for_js(page, f"document.querySelector('{ROW}').dataset.version === '2'")
        assert page.locator(f"{ROW} .state").text_content() == "Provisional v2"
        assert "missed by the mat" in (page.locator(f"{ROW} .signed").text_content() or "")
        assert _state(box.url) == ("provisional", 2)

        # Signed off again, a one-click action asks for the reason, then re-opens v3.
        page.fill("#signoff-form input[name=name]", "Claire Arbitre")
        page.click("#close-race")
        wait_for_js(page, f"document.querySelector('{ROW}').dataset.state === 'official'")
        assert page.locator(f"{ROW} .state").text_content() == "Official v2"
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept("photo shows bib 1 stopped before the mat")

        page.once("dialog", answer)
        row = page.locator('#passings tr[data-point="FINISH"][data-bib="1"]')
        row.locator("button[data-ignore]").click()
        wait_for_js(page, f"document.querySelector('{ROW}').dataset.version === '3'")
        assert "official" in asked[0]
        assert "give a reason" in asked[0]
        assert page.locator(f"{ROW} .state").text_content() == "Provisional v3"
        assert _state(box.url) == ("provisional", 3)

        # The history of corrections is a download from the console.
        href = page.get_attribute("#history-link", "href")
        history = httpx.get(box.url + str(href))
        rows = list(csv.DictReader(io.StringIO(history.text)))
        assert [(r["action"], r["version"], r["by"], r["reason"]) for r in rows] == [
            ("signoff", "1", "Claire Arbitre", ""),
            ("reopen", "2", "Paul", "missed by the mat, marshal's sheet"),
            ("correction", "2", "Paul", "missed by the mat, marshal's sheet"),
            ("signoff", "2", "Claire Arbitre", ""),
            ("reopen", "3", "Paul", "photo shows bib 1 stopped before the mat"),
            ("correction", "3", "Paul", "photo shows bib 1 stopped before the mat"),
        ]
