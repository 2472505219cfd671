"""/archive in Debian's Chromium: "Archive the event" until central confirms, then "Purge"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.roleconfig import RoleConfig, save_role
from edge.sealing import new_identity
from tests.browser import EXAMPLE_SLUG, browser_page, live_box, wait_for_js
from tests.integration.test_backups_at_rest import enroll
from tests.servers import central_on

pytestmark = [pytest.mark.e2e]


def test_archive_then_purge_from_the_page(tmp_path: Path) -> None:
    recipient = new_identity(tmp_path / "fleet-key.txt")
    (tmp_path / "central").mkdir()
    settings = {"CHRONO_CENTRAL_BACKUP_RECIPIENT": recipient}
    with (
        central_on("sqlite", tmp_path / "central", settings) as (base, url),
        live_box(
            tmp_path / "box", worker=True, env={"CHRONO_EDGE_BACKUP_RECIPIENT": recipient}
        ) as box,
    ):
        link = enroll(base, url, "archive-browser")
        save_role(box.role_file, RoleConfig(event=EXAMPLE_SLUG, point="FINISH", central=link))
        box.cli("passings", "add", "--event", EXAMPLE_SLUG, "--point", "FINISH", "--bib", "1",
                "--time", "2026-04-12T10:20:00+02:00")  # fmt: skip
        with browser_page() as page:
            page.goto(f"{box.url}/archive")
            assert page.text_content("#archive-state") == "never archived"
            assert page.is_disabled("#purge-start")
            page.fill("#archive-by", "Ana")
            page.click("#archive-start")
            wait_for_js(
                page, "document.getElementById('archive').dataset.state === 'confirmed'", 60_000
            )
            assert page.text_content("#archive-state") == "confirmed by central"
            assert len(page.text_content("#archive-sha256") or "") == 64
            # A wrong confirmation is refused with the reason, and nothing is deleted.
            page.fill("#purge-confirm", "another-event")
            page.click("#purge-start")
            page.wait_for_selector("#archive-notice.error")
            assert "type the event's slug" in (page.text_content("#archive-notice") or "")
            page.fill("#purge-confirm", EXAMPLE_SLUG)
            page.click("#purge-start")
            wait_for_js(
                page, "/still set to/.test(document.getElementById('archive-notice').textContent)"
            )
            save_role(box.role_file, RoleConfig(central=link))  # the box leaves the event
            page.click("#purge-start")
            wait_for_js(page, "document.getElementById('archive').dataset.state === 'purged'")
            assert "Purged" in (page.text_content("#archive-notice") or "")
            assert page.is_disabled("#purge-start")
    with sqlite3.connect(box.db) as connection:
        assert connection.execute("SELECT count(*) FROM event").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM passing").fetchone()[0] == 0
        assert connection.execute("SELECT state FROM event_archive").fetchall() == [("purged",)]
