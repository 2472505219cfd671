"""`make screenshots`: every page of a box in a race, as PNG files in docs/screenshots/.

Starts a real box on loopback (the demo event of `make run`, an emulated reader
playing the race at the finish, a worker), lets the first runners finish, then
photographs each page in Debian's Chromium: 1366×768, and the speaker screen at
1920×1080 (the TV it is made for).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.demo_event import SLUG  # noqa: E402
from scripts.demo_event import main as write_demo  # noqa: E402
from tests.browser import browser_page, feed, live_box  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = [
    ("console", "/"),
    ("results", "/results"),
    ("results-charts", "/results?tab=charts"),
    ("entrants", "/entrants"),
    ("exports", "/exports"),
    ("jobs", "/jobs"),
    ("setup", "/setup"),
]
SCREENS = [("speaker-screen", "/screen/arrivals")]
RACE = [
    "--scenario",
    "race",
    "--runners",
    "200",
    "--first-finish",
    "2",
    "--spread",
    "120",
    "--clock-year",
    "2000",
]
SPLIT = [
    "--scenario",
    "race",
    "--runners",
    "200",
    "--first-finish",
    "1",
    "--spread",
    "60",
    "--clock-year",
    "2000",
]
"""The 5 km split sees the same runners earlier: the speaker screen's "arriving soon"."""
SETTLE_S = 25.0


def main() -> None:
    """Take the screenshots; print where each one went."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chrono-shots-") as folder:
        work = Path(folder)
        write_demo(work / "demo")
        with live_box(
            work / "box",
            event_file=work / "demo" / "event.yaml",
            entrants=work / "demo" / "entrants.csv",
            slug=SLUG,
            worker=True,
            emulator=RACE,
        ) as box:
            feed(box, SLUG, "KM5", SPLIT)
            time.sleep(SETTLE_S)  # the leaders cross the finish, the cache job runs
            for pages, size in ((PAGES, (1366, 768)), (SCREENS, (1920, 1080))):
                with browser_page(*size) as page:
                    for name, path in pages:
                        page.goto(box.url + path)
                        page.wait_for_timeout(1500)
                        target = OUT / f"{name}.png"
                        page.screenshot(path=str(target))
                        print(f"{target.relative_to(ROOT)}  {size[0]}x{size[1]}  {path}")


if __name__ == "__main__":
    main()
