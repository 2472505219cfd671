"""The clock panel in Debian's Chromium: red on /setup and the console when no source
vouches for the box's clock, green once it follows one.

Real chronyd daemons (``chronyd -x``, the host's clock untouched): the MASTER's serves its
own clock as after a power cut without network (``local stratum 10``: no time source),
the SLAVE's follows it over loopback. Each box asks its own chronyd
(``CHRONO_EDGE_CHRONY_SOCKET``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from edge.clock import now_us
from edge.store.slave_clocks import record_clock
from tests.browser import EXAMPLE_SLUG, browser_page, live_box
from tests.chronyd import master_chronyd, ntp_port, slave_chronyd
from tests.integration.test_chrony_state import until_synchronised

pytestmark = [pytest.mark.e2e]

RED = "rgb(192, 57, 43)"  # --bad in app.css


def test_an_unsynchronised_box_says_so_in_red_then_green_once_it_follows_a_source(
    tmp_path: Path,
) -> None:
    port = ntp_port()
    with (
        master_chronyd(tmp_path / "chrony-master", port) as master,
        slave_chronyd(tmp_path / "chrony-slave", port) as slave,
    ):
        finish_env = {"CHRONO_EDGE_CHRONY_SOCKET": master.socket}
        with live_box(tmp_path / "finish", env=finish_env) as box, browser_page() as page:
            # A SLAVE reported it is 250 ms ahead of this MASTER.
            values = {"device_id": "slave-km5", "point": "KM5", "offset_us": 250_000,
                      "delay_us": 800, "samples": 4, "measured_us": now_us(),
                      "received_us": now_us()}  # fmt: skip
            record_clock(box.db, values)
            # One of its passings, marked as the MASTER marks them (edge.sync.apply).
            box.cli("passings", "add", "--event", EXAMPLE_SLUG, "--point", "FINISH",
                    "--bib", "1", "--time", "2026-04-12T10:10:05+02:00")  # fmt: skip
            with sqlite3.connect(box.db) as connection:
                connection.execute("UPDATE passing SET clock_offset_us = 250000")

            page.goto(f"{box.url}/setup")
            panel = page.locator("#clock-panel")
            assert "unsynchronised" in (panel.get_attribute("class") or "")
            assert page.inner_text("#clock-state") == "NOT synchronised"
            assert "serves its own clock" in page.inner_text("#clock-problem")
            border = panel.evaluate("e => getComputedStyle(e).borderTopColor")
            assert border == RED
            assert (
                panel.evaluate("e => getComputedStyle(e.querySelector('.clock-problem')).color")
                == RED
            )

            page.goto(f"{box.url}/")  # the console, before the start
            assert page.get_attribute("#clock-panel", "data-synchronised") == "no"
            assert page.inner_text("#clock-state") == "NOT synchronised"
            row = page.locator('#clock-slaves tr[data-device="slave-km5"]')
            assert "clock-over" in (row.get_attribute("class") or "")
            assert "+250.0" in row.inner_text()
            assert row.evaluate("e => getComputedStyle(e.cells[2]).color") == RED
            mark = page.locator("#passings .clock-mark")
            mark.wait_for()
            assert mark.inner_text() == "clock +250.0 ms"

            page.goto(f"{box.url}/lang/fr")
            page.goto(f"{box.url}/setup")
            assert page.inner_text("#clock-state") == "NON synchronisée"
            assert "sa propre horloge" in page.inner_text("#clock-problem")

        synchronised = asyncio.run(until_synchronised(slave.socket))
        assert synchronised.chrony.synchronised
        km5_env = {"CHRONO_EDGE_CHRONY_SOCKET": slave.socket}
        with live_box(tmp_path / "km5", env=km5_env) as box, browser_page() as page:
            page.goto(f"{box.url}/setup")
            panel = page.locator("#clock-panel")
            assert page.get_attribute("#clock-panel", "data-synchronised") == "yes"
            assert page.inner_text("#clock-state") == "synchronised"
            assert "Source 127.0.0.1, stratum 11" in page.inner_text("#clock-source")
            assert panel.evaluate("e => getComputedStyle(e).borderTopColor") != RED
            assert page.locator("#clock-problem").count() == 0
