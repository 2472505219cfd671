"""`make screenshots`: every page of the `make run` demo, as PNG files in docs/screenshots/.

Starts the demo exactly as `make run` does (scripts/run.sh, its files in a temporary
folder, free ports), lets four minutes of the race go by so the charts show how
finishers spread over the waves, then photographs each page in Debian's Chromium:
1366×768, central's public pages at a phone's 390×844 too, and the speaker screen at
1920×1080 (the TV it is made for).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import browser_page  # noqa: E402
from tests.demorun import demo_run  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
BOX_PAGES = [
    ("console", "/"),
    ("results", "/results"),
    ("results-charts", "/results?tab=charts"),
    ("entrants", "/entrants"),
    ("exports", "/exports"),
    ("jobs", "/jobs"),
    ("setup", "/setup"),
]
CENTRAL_PAGES = [
    ("central-public-events", "/public?lang=en"),
    ("central-public-results", "/public/events/demo-10k?race=10K&lang=en"),
    ("central-public-results-by-sex", "/public/events/demo-10k?race=10K&tab=sex&lang=fr"),
    ("central-public-runner", "/public/events/demo-10k/runners/12?lang=en"),
    ("central-public-follow", "/public/events/demo-10k/follow?bibs=3,12,40&lang=fr"),
]
PHONE = (390, 844)
"""The spectators' pages are read on phones first (issue 24): they are photographed at this
size too, as ``<name>-phone.png``."""
SCREENS = [("speaker-screen", "/screen/arrivals")]
RACE_S = 240.0
"""How long the demo race runs before the pictures: finishers of every wave have arrived."""


def main() -> None:
    """Take the screenshots; print where each one went."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chrono-shots-") as folder:
        started = time.monotonic()
        with demo_run(Path(folder)) as run:
            time.sleep(max(0.0, RACE_S - (time.monotonic() - started)))
            phone = [(f"{name}-phone", path) for name, path in CENTRAL_PAGES]
            shots = (
                (run.box, BOX_PAGES, (1366, 768)),
                (run.central, CENTRAL_PAGES, (1366, 768)),
                (run.central, phone, PHONE),
                (run.box, SCREENS, (1920, 1080)),
            )
            for base, pages, size in shots:
                with browser_page(*size) as page:
                    for name, path in pages:
                        page.goto(base + path)
                        page.wait_for_timeout(1500)
                        target = OUT / f"{name}.png"
                        page.screenshot(path=str(target))
                        print(f"{target.relative_to(ROOT)}  {size[0]}x{size[1]}  {path}")


if __name__ == "__main__":
    main()
