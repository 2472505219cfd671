"""``make run`` as a newcomer sees it: scripts/run.sh started for real, on free ports.

Central, a MASTER box at the finish and a SLAVE box at 5 km, each reading its own
emulated LLRP reader. /setup must say what the box really does (its event and point,
written by the same code as /setup), and central's public results of the demo race
must fill within a minute of the command starting.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.browser import browser_page
from tests.demorun import demo_run

pytestmark = [pytest.mark.e2e]

FILL_DEADLINE_S = 60.0


def finishers_on_central(central: str) -> int:
    """How many finishers central's public results of the demo race show (0 if none yet)."""
    try:
        answer = httpx.get(
            f"{central}/api/v1/public/events/demo-10k/results", params={"race": "10K"}, timeout=2
        )
    except httpx.HTTPError:
        return 0
    if answer.status_code != 200:
        return 0
    return sum(1 for row in answer.json()["rows"] if row["status"] == "FIN")


def test_make_run_fills_central_and_setup_tells_the_truth(tmp_path: Path) -> None:
    started = time.monotonic()
    with demo_run(tmp_path) as run:
        box, central, log = run.box, run.central, run.log
        while finishers_on_central(central) == 0:
            elapsed = time.monotonic() - started
            assert elapsed < FILL_DEADLINE_S, log.read_text(errors="replace")[-4000:]
            time.sleep(1)
        output = log.read_text(errors="replace")
        assert f"Public results:     {central}/public/events/demo-10k?race=10K" in output
        assert output.count("no tunnel: central has no WireGuard hub") == 1

        with browser_page() as page:
            page.goto(f"{box}/setup")
            assert page.inner_text("#current-event") == "demo-10k"
            assert page.inner_text("#current-point") == "FINISH"
            page.goto(f"{central}/public/events/demo-10k?race=10K")
            assert page.locator("tr", has_text="FIN").count() >= 1

        # The 5 km box is a SLAVE forwarding to the MASTER: its split reaches the results.
        deadline = time.monotonic() + 30
        while True:
            rows = httpx.get(f"{box}/api/v1/events/demo-10k/races/10K/results").json()
            if any(row.get("split_KM5") for row in rows):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(1)
