"""The /setup flow in Debian's Chromium: claim with the PIN, choose MASTER, enroll with central.

Real processes on loopback: the box (``chrono-edge serve``) and central
(``chrono-central serve`` on SQLite). This central has no WireGuard hub, so the
tunnel stays down; the page must show the tunnel's real state, whatever it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge.roleconfig import load_file_role
from edge.services.boxstate import vpn_view
from tests.browser import EXAMPLE_SLUG, browser_page, live_box
from tests.servers import central_process, free_port

pytestmark = [pytest.mark.e2e]

PASSWORD = "finish-line-2026"


def enrollment_token(database_url: str) -> str:
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "central", "enroll-token", "create"]
    command += ["--event", EXAMPLE_SLUG, "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return str(json.loads(done.stdout)["token"])


def test_claim_choose_master_and_enroll_in_the_browser(tmp_path: Path):
    central_url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    with (
        central_process(central_url, free_port(), tmp_path) as central,
        live_box(tmp_path / "box", entrants=None) as box,
        browser_page() as page,
    ):
        pin = (box.workdir / "setup-pin.txt").read_text().strip()
        assert f"Setup PIN: {pin}" in (box.workdir / "serve.log").read_text()
        page.goto(f"{box.url}/setup")
        page.fill("#pin", "11111111" if pin != "11111111" else "22222222")
        page.fill("#password", PASSWORD)
        page.fill("#password-again", PASSWORD)
        page.click("#claim-submit")
        assert "notice error" in page.get_attribute("#notice", "class")
        assert page.locator("#role-form").count() == 0
        page.fill("#pin", pin)
        page.fill("#password", PASSWORD)
        page.fill("#password-again", PASSWORD)
        page.click("#claim-submit")
        assert "notice ok" in page.get_attribute("#notice", "class")
        assert not (box.workdir / "setup-pin.txt").exists()

        page.select_option("#role", "master")
        page.select_option("#event", EXAMPLE_SLUG)
        page.fill("#point", "FINISH")
        page.click("#role-submit")
        assert "notice ok" in page.get_attribute("#notice", "class")
        assert page.get_attribute("#current-role", "data-role") == "master"
        config = load_file_role(box.role_file)
        assert (config.role.value, config.event, config.point) == ("master", EXAMPLE_SLUG, "FINISH")
        assert page.get_attribute("#vpn-state", "data-state") == "not-enrolled"

        page.fill("#central-url", central)
        page.fill("#enroll-token", enrollment_token(central_url))
        page.click("#enroll-submit", timeout=60_000)
        assert "notice ok" in page.get_attribute("#notice", "class"), page.inner_text("#notice")
        assert page.inner_text("#central-link") == central
        link = load_file_role(box.role_file).central
        assert link is not None
        assert page.inner_text("#vpn-address") == link.tunnel_address
        real = vpn_view(box.role_file, enrolled=True)
        assert page.get_attribute("#vpn-state", "data-state") == real.code

        # Another browser (no session) is sent to /login, and comes back after it.
        page.context.clear_cookies()
        page.goto(f"{box.url}/setup")
        assert page.url.startswith(f"{box.url}/login?next=")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        assert page.url == f"{box.url}/setup"
        page.click("#logout")
        page.goto(f"{box.url}/jobs")
        assert "/login" in page.url
