"""The console in Debian's Chromium, fed by the LLRP emulator through the real reader service."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import EXAMPLE_SLUG, browser_page, live_box, wait_for_js

pytestmark = [pytest.mark.e2e]

RESULTS = f"/api/v1/events/{EXAMPLE_SLUG}/races/10K/results"
RUNNERS = 10


def _event_started_half_an_hour_ago(folder: Path) -> tuple[Path, Path]:
    """The example event's shape, its wave started 30 min ago; bib N wears the emulator's tag N."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    event = folder / "event.yaml"
    event.write_text(
        f"""slug: {EXAMPLE_SLUG}
name: "Spring 10K"
date: {start.date().isoformat()}
timezone: Europe/Paris
timing_points:
  - {{code: START, kind: start, distance_m: 0}}
  - {{code: FINISH, kind: finish, distance_m: 10000}}
races:
  - code: 10K
    name: "10 km"
    timing: gun
    min_time: "00:10:00"
    cutoff: "03:00:00"
    points: [START, FINISH]
    waves:
      - {{code: W1, start: "{start.isoformat()}"}}
""",
        encoding="utf-8",
    )
    entrants = folder / "entrants.csv"
    lines = ["Dossard;Nom;Prénom;Sexe;Année de naissance;Club;Équipe;Course;Vague;Puce"]
    lines += [f"{n};Runner{n};Ann;F;1990;;;10K;W1;{n:024d}" for n in range(1, RUNNERS + 1)]
    entrants.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return event, entrants


def _created_us(db: Path, ids: list[str]) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        marks = ", ".join("?" * len(ids))
        rows = connection.execute(f"SELECT id, created_us FROM passing WHERE id IN ({marks})", ids)
        return {i: int(c) for i, c in rows.fetchall()}


def _results(url: str) -> dict[str, dict[str, Any]]:
    return {row["bib"]: row for row in httpx.get(url + RESULTS).json()}


def _until(check: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_console_live_passings_manual_entry_and_corrections(tmp_path: Path) -> None:
    event, entrants = _event_started_half_an_hour_ago(tmp_path)
    emulator = ["--scenario", "race", "--runners", str(RUNNERS), "--first-finish", "3",
                "--spread", "20", "--clock-year", "2000"]  # fmt: skip
    with (
        live_box(tmp_path / "box", event_file=event, entrants=entrants, emulator=emulator) as box,
        browser_page() as page,
    ):
        page.goto(box.url + "/")  # type: ignore[attr-defined]
        # (a) passings the reader stores show within a second (page clock = box clock).
        live = 'tr[data-live="1"][data-bib]:not([data-bib=""])'
        wait_for_js(
            page,  # type: ignore[arg-type]
            f"document.querySelectorAll('#passings {live}').length >= 3",
            timeout_ms=45_000,
        )
        shown = page.eval_on_selector_all(  # type: ignore[attr-defined]
            f"#passings {live}", "rows => rows.map(r => [r.dataset.id, Number(r.dataset.shownMs)])"
        )
        stored = _created_us(box.db, [i for i, _ in shown])
        delays = [ms - stored[i] / 1000 for i, ms in shown if i in stored]
        assert len(delays) >= 3
        assert max(delays) <= 1000, delays

        # (b) keyboard only: the bib box has the focus; type a bib, Enter.
        assert page.evaluate("document.activeElement.id") == "bib"  # type: ignore[attr-defined]
        page.keyboard.type("7")  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        manual = page.locator('#passings tr[data-bib="7"]', has_text="manual")  # type: ignore[attr-defined]
        manual.first.wait_for()
        assert "7" in page.text_content("#outcome")  # type: ignore[attr-defined]

        # (c) ignoring a finisher's passing changes the results; undo restores them.
        finishers = _until(
            lambda: [b for b, r in _results(box.url).items() if r["status"] == "FIN"]
        )
        before = _results(box.url)
        row = page.locator(f'#passings tr[data-point="FINISH"][data-bib="{finishers[0]}"]')  # type: ignore[attr-defined]
        row.locator("button[data-ignore]").click()
        row.and_(page.locator('tr[data-state="ignored"]')).wait_for()  # type: ignore[attr-defined]
        bib = finishers[0]
        assert _until(lambda: _results(box.url)[bib]["status"] != "FIN", 5)
        row.locator("button[data-undo]").click()
        row.and_(page.locator('tr[data-state=""]')).wait_for()  # type: ignore[attr-defined]
        assert _until(lambda: _results(box.url)[bib] == before[bib], 5)
