"""The console's alarm banner in Debian's Chromium: it appears, its sound can be muted (and
stays muted after a reload), it goes when the condition clears, and never on the speaker
screen. The condition here: the box's worker is not running, then it is started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import browser_page, live_box, wait_for_js

pytestmark = [pytest.mark.e2e]

BANNER_SHOWN = (
    "!document.getElementById('alarm-banner').hidden"
    " && !!document.querySelector('#alarm-list li[data-code=\"worker_down\"]')"
)
SOUNDING = "document.getElementById('alarm-banner').dataset.sounding"


def test_the_alarm_banner_rings_mutes_clears_and_stays_off_the_speaker_screen(
    tmp_path: Path,
) -> None:
    with live_box(tmp_path / "box") as box, browser_page() as page:
        page.goto(box.url + "/")  # type: ignore[attr-defined]
        wait_for_js(page, BANNER_SHOWN, timeout_ms=15_000)  # type: ignore[arg-type]
        assert page.evaluate(SOUNDING) == "yes"  # type: ignore[attr-defined]
        text = page.text_content("#alarm-list")  # type: ignore[attr-defined]
        assert "The worker is not running" in text
        assert page.is_hidden("#alarm-muted")  # type: ignore[attr-defined]

        page.click("#alarm-mute")  # type: ignore[attr-defined]
        assert page.evaluate(SOUNDING) == "no"  # type: ignore[attr-defined]
        assert page.is_visible("#alarm-muted")  # type: ignore[attr-defined]
        page.reload()  # type: ignore[attr-defined]
        wait_for_js(page, BANNER_SHOWN, timeout_ms=15_000)  # type: ignore[arg-type]
        assert page.evaluate(SOUNDING) == "no"  # type: ignore[attr-defined]
        assert page.is_visible("#alarm-muted")  # type: ignore[attr-defined]

        # The speaker screen never asks for alarms, let alone shows them (watched for more
        # than one poll of the banner).
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))  # type: ignore[attr-defined]
        page.goto(box.url + "/screen/arrivals")  # type: ignore[attr-defined]
        page.wait_for_timeout(4_000)  # type: ignore[attr-defined]
        assert page.query_selector("#alarm-banner") is None  # type: ignore[attr-defined]
        assert not [url for url in asked if "/api/v1/alarms" in url]

        # The worker starts: the alarm clears and the banner goes.
        page.goto(box.url + "/")  # type: ignore[attr-defined]
        wait_for_js(page, BANNER_SHOWN, timeout_ms=15_000)  # type: ignore[arg-type]
        command = [sys.executable, "-m", "edge.cli", "--db", str(box.db), "worker"]
        log = (box.workdir / "worker.log").open("ab")
        with log:
            worker = subprocess.Popen(command, env=box.env, cwd=box.workdir, stdout=log, stderr=log)
        box.processes.append(worker)
        wait_for_js(  # type: ignore[arg-type]
            page, "document.getElementById('alarm-banner').hidden", timeout_ms=30_000
        )
        assert page.evaluate(SOUNDING) == "no"  # type: ignore[attr-defined]
        # Its muting is forgotten: should the worker stop again, the alarm rings again.
        assert page.evaluate("localStorage.getItem('chrono-alarms-muted')") == "[]"  # type: ignore[attr-defined]
