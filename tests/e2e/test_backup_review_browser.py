"""The backup line's review list on the console, in Debian's Chromium, against a live box."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import EXAMPLE_SLUG, browser_page, live_box, wait_for_js

pytestmark = [pytest.mark.e2e]

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
RESULTS = f"/api/v1/events/{EXAMPLE_SLUG}/races/10K/results"
TEN_AM = 1_775_980_800_000_000  # 2026-04-12T10:00:00+02:00, the example event's day
CHIP = {"1": (10 * 60 + 5) * 1_000_000 + 500_000, "2": 12 * 60 * 1_000_000,
        "6": 15 * 60 * 1_000_000 + 500_000}  # fmt: skip
"""Chip finishes after 10:00 (the backup file has 10:10:05,6, 10:12:03,2, 10:14:59,9)."""


def _reads(path: Path) -> Path:
    """Raw reads of the chip line: each finisher's tag for ±0.5 s around its crossing."""
    lines = ["epc,antenna,rssi,timestamp_us"]
    for bib, after in CHIP.items():
        peak = TEN_AM + after
        epc = f"E2801160600002000000A00{bib}"
        lines += [
            f"{epc},1,{-50 - 8 * (step / 10) ** 2:.1f},{peak + step * 50_000}"
            for step in range(-10, 11)
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _chip_time(url: str, bib: str) -> Any:
    return {row["bib"]: row for row in httpx.get(url + RESULTS).json()}[bib]["chip_time"]


def _until(check: Any, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_the_operator_settles_a_backup_pair_from_the_console(tmp_path: Path) -> None:
    with live_box(tmp_path / "box") as box, browser_page() as page:
        box.cli("reads", "import", str(_reads(tmp_path / "reads.csv")), "--event", EXAMPLE_SLUG,
                "--point", "FINISH")  # fmt: skip
        imported = box.cli("passings", "import", str(CSV / "backup-fr-cp1252.csv"), "--event",
                           EXAMPLE_SLUG, "--point", "FINISH")  # fmt: skip
        assert "1 differ by more than 1 s: to review" in imported.stdout
        assert _chip_time(box.url, "2") == "0:42:00.0"

        page.goto(box.url + "/")
        card = page.locator("#review-card")
        assert card.is_visible()
        row = page.locator("#review tr[data-backup]")
        assert row.count() == 1
        assert row.locator(".bib").text_content() == "2"
        assert row.locator(".chip").text_content() == "10:12:00.0"
        assert row.locator(".backup").text_content() == "10:12:03.2"
        assert row.locator(".gap").text_content() == "+3.2 s"
        # The backup passings show in the passings list with what became of them.
        wait_for_js(page, "document.querySelectorAll('#passings tr[data-bib]').length >= 7")
        assert "to review" in (
            page.locator('#passings tr[data-bib="2"]').first.text_content() or ""
        )

        page.fill("#operator", "Anne")
        page.dispatch_event("#operator", "change")
        row.locator('button[data-choose="backup"]').click()
        page.locator("#review tr[data-backup]").wait_for(state="detached")
        assert not card.is_visible()
        assert _until(lambda: _chip_time(box.url, "2") == "0:42:03.2")
        page.locator("#corrections tr", has_text="#2").first.wait_for()
        assert "Anne" in (page.locator("#corrections tr", has_text="#2").first.text_content() or "")
        with closing(sqlite3.connect(box.db)) as connection:
            stored = connection.execute(
                "SELECT kind, bib, status, created_by, undone_us FROM correction"
            ).fetchall()
        assert stored == [("choose", "2", "backup", "Anne", None)]

        # A reload shows the list as stored: nothing left to review.
        page.reload()
        assert page.locator("#review tr[data-backup]").count() == 0
        assert not page.locator("#review-card").is_visible()
