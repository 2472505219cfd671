"""The check-in table in Debian's Chromium at a tablet's size (issue 21).

/setup makes antenna 2 a check-in point; chips then reach the database as the reader
service stores them (``edge.store.checkins``), while /checkin is open: a known chip, an
unknown chip and a chip already checked each show at once, large, with the count per
race; a chip swap typed on the page gives the chip (and its check-in) to another bib.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from edge.domain.clock import now_us
from edge.roleconfig import load_file_role
from edge.store.checkins import PASS_GAP_US, record_checkins
from edge.store.reads import ReadIn, connect
from tests.browser import EXAMPLE_SLUG, browser_page, live_box, wait_for_js

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.e2e]

CHIP_1 = "E2801160600002000000A001"  # bib 1, Hélène Lefèvre (docs/examples/entrants.csv)
STRANGER = "E28011606000020000FFFF99"
TABLET = (800, 1280)
PASSWORD = "check-in-table-2026"  # a 10" tablet held upright


def show_chip(db: Path, epc: str, at_us: int) -> None:
    """A chip held over the check-in antenna: stored as the reader service stores it."""
    with closing(connect(db)) as connection:
        (event_id,) = connection.execute(
            "SELECT id FROM event WHERE slug = ?", (EXAMPLE_SLUG,)
        ).fetchone()
        reads = [ReadIn(epc, 2, -55.0, at_us + n * 20_000, at_us + n * 20_000) for n in range(5)]
        record_checkins(connection, event_id, reads, device_id="box")


def latest(page: Page) -> tuple[str, str]:
    """The latest chip's state and text, as the volunteer sees them."""
    card = page.locator("#latest")
    return str(card.get_attribute("data-state")), card.inner_text()


def test_checkin_page_shows_known_unknown_and_already_checked_chips_live(tmp_path: Path) -> None:
    with live_box(tmp_path / "box") as box, browser_page(*TABLET) as page:
        # Claimed first (the setup sections need it); the session then opens /checkin too.
        page.goto(f"{box.url}/setup")
        page.fill("#pin", (box.workdir / "setup-pin.txt").read_text().strip())
        page.fill("#password", PASSWORD)
        page.fill("#password-again", PASSWORD)
        page.click("#claim-submit")
        assert "notice ok" in str(page.get_attribute("#notice", "class"))
        page.check("#checkin-antennas")
        page.fill("#checkin-antenna-list", "2")
        page.click("#checkin-submit")
        page.get_by_text("Antennas 2 are now a check-in point").wait_for()
        assert load_file_role(box.role_file).checkin.antennas == [2]

        page.goto(f"{box.url}/checkin")
        assert page.locator("#checkin-setup").count() == 0  # the box has a check-in antenna
        assert latest(page)[0] == ""
        entrants = int(page.locator('#counts tr[data-race="10K"] .missing').inner_text())
        wait_for_js(page, "document.getElementById('live-state').hidden")  # the stream is up

        start = now_us()
        show_chip(box.db, CHIP_1, start)
        wait_for_js(page, "document.getElementById('latest').dataset.state === 'checked'")
        state, text = latest(page)
        assert state == "checked"
        assert "Hélène Lefèvre" in text
        assert "1" in page.locator("#latest .bib").inner_text()
        assert "10 km" in text
        assert "W1" in text
        checked = page.locator('#counts tr[data-race="10K"]')
        assert checked.locator(".checked").inner_text() == "1"
        assert checked.locator(".missing").inner_text() == str(entrants - 1)

        show_chip(box.db, STRANGER, start + 1_000_000)
        wait_for_js(page, "document.getElementById('latest').dataset.state === 'unknown'")
        assert STRANGER in latest(page)[1]
        assert "Unknown chip".upper() in latest(page)[1].upper()

        show_chip(box.db, CHIP_1, start + PASS_GAP_US + 2_000_000)  # the runner came back
        wait_for_js(page, "document.getElementById('latest').dataset.state === 'again'")
        state, text = latest(page)
        assert state == "again"
        assert "already checked".upper() in text.upper()
        assert "Hélène Lefèvre" in text
        assert checked.locator(".checked").inner_text() == "1"  # still one runner
        assert page.locator("#recent tbody tr").count() == 3
        # Large and whole on a tablet: no sideways scrolling, a bib readable at arm's length.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        bib_px = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('#latest .bib')).fontSize)"
        )
        assert bib_px >= 40

        # The unknown chip was bib 3's spare: a tap on its row fills the swap form.
        page.locator(f'#recent tr[data-epc="{STRANGER}"]').click()
        assert page.input_value("#swap-epc") == STRANGER
        page.fill("#swap-bib", "3")
        page.fill("#swap-reason", "spare chip handed out at the desk")
        page.fill("#swap-by", "Anne")
        page.click("#swap-submit")
        page.locator("#swap-done").wait_for()
        swaps = page.locator("#swaps tbody tr").first.inner_text()
        assert STRANGER in swaps
        assert "spare chip handed out at the desk" in swaps
        assert "Anne" in swaps
        # Its check-in now counts for bib 3: two runners checked, none unknown.
        row = page.locator(f'#recent tr[data-epc="{STRANGER}"]')
        assert "3" in row.inner_text()
        assert page.locator("#recent tr.state-unknown").count() == 0
        assert checked.locator(".checked").inner_text() == "2"

        # A bad swap says why and stores nothing.
        page.fill("#swap-epc", CHIP_1)
        page.fill("#swap-bib", "999")
        page.fill("#swap-reason", "typo")
        page.click("#swap-submit")
        page.locator("#swap-problems").wait_for()
        assert "999" in page.locator("#swap-problems").inner_text()
        assert page.locator("#swaps tbody tr").count() == 1
