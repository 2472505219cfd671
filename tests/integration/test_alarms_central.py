"""A pulled reader reaches central as an alarm within 30 s, and is pushed once when raised and
once when cleared: the real reader service on the LLRP emulator through sllurp, the real
worker reporting, central on PostgreSQL, a webhook receiver and an SMTP server on loopback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.rfid.emulator import BackgroundEmulator, BurstScenario, offset_for_year
from edge.roleconfig import CentralLink, ReaderConfig, RoleConfig, save_role
from tests.alarmsinks import alarm_sinks
from tests.integration.test_central_sync import enroll
from tests.servers import box_worker, central_process, chrono_central, free_port, postgres_database
from tests.syncbox import SLUG, load_box, query

pytestmark = pytest.mark.integration

ADMIN = ("ops", "a long enough password")
WITHIN_S = 30.0
"""The acceptance of issue 21: a pulled reader's alarm reaches central within 30 s."""
QUIET = BurstScenario(tags=5, start_s=0.1, duration_s=1.0, reads_per_s=50.0)


def wait_until(condition: Callable[[], Any], what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout_s:g} s: {what}")
        time.sleep(0.1)
    return found


def plug(port: int) -> BackgroundEmulator:
    """An emulated reader listening on ``port`` (0: any), its clock in 2000."""
    return BackgroundEmulator(QUIET, port=port, clock_offset_us=offset_for_year(2000)).__enter__()


def unplug(emulator: BackgroundEmulator | None) -> None:
    """Stop the emulated reader: every connection to it drops, like a pulled cable."""
    if emulator is not None:
        emulator.__exit__(None, None, None)


def reader_alarms(base: str, *, open_only: bool) -> list[dict[str, Any]]:
    params = {"open_only": "true"} if open_only else {}
    response = httpx.get(f"{base}/api/v1/alarms", params=params, auth=ADMIN)
    assert response.status_code == 200, response.text
    return [a for a in response.json() if a["code"] == "reader_disconnected"]


def dashboard(base: str) -> str:
    """Central's dashboard as a logged-in admin sees it."""
    with httpx.Client(base_url=base) as browser:
        login = browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        assert login.status_code == 303, login.text
        page = browser.get("/")
        assert page.status_code == 200
        return page.text


def test_a_pulled_reader_reaches_central_within_30_s_and_is_pushed_once_each_way(
    tmp_path: Path,
) -> None:
    box = load_box(tmp_path / "edge.db")  # its race ran in April: no "no read" alarm now
    with alarm_sinks() as sinks, postgres_database() as url:
        chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
        settings = sinks.central_settings()
        with central_process(url, free_port(), tmp_path, settings) as base:
            device, token = asyncio.run(enroll(url, f"alarm-{tmp_path.name}"))
            emulator: BackgroundEmulator | None = plug(0)
            assert emulator is not None
            port = emulator.port
            reader = ReaderConfig(host="127.0.0.1", port=port, keepalive_s=0.2, silence_s=2)
            link = CentralLink(
                url=base, device_id=device, device_token=token, tunnel_address="10.77.0.2/32"
            )
            role = box.with_name("reader.json")
            save_role(role, RoleConfig(role="master", event=SLUG, point="FINISH",
                                       reader=reader, central=link))  # fmt: skip
            command = [sys.executable, "-m", "edge.cli", "--db", str(box), "reader",
                       "--role-file", str(role)]  # fmt: skip
            log = (tmp_path / "reader.log").open("w")
            with log, subprocess.Popen(command, stdout=log, stderr=log) as reading:
                try:
                    wait_until(
                        lambda: query(box, "SELECT connected FROM reader_health") == [(1,)],
                        "the reader service connected to the emulator",
                    )
                    with box_worker(box, role, tmp_path, every_s=0.5):
                        wait_until(
                            lambda: (
                                httpx.get(f"{base}/api/v1/devices", auth=ADMIN).json()[0][
                                    "last_seen_age_s"
                                ]
                                is not None
                            ),
                            "the box's first status report",
                        )
                        assert reader_alarms(base, open_only=True) == []

                        pulled = time.monotonic()
                        unplug(emulator)  # the reader's cable is pulled
                        emulator = None
                        (raised,) = wait_until(
                            lambda: reader_alarms(base, open_only=True),
                            "the reader_disconnected alarm on central",
                            WITHIN_S,
                        )
                        took_s = time.monotonic() - pulled
                        print(f"reader pulled -> alarm on central: {took_s:.1f} s")
                        assert took_s < WITHIN_S
                        assert raised["hostname"] == f"box-alarm-{tmp_path.name}"
                        assert raised["subject"] == f"reader 127.0.0.1:{port}"
                        assert "is disconnected" in raised["message"]
                        board = dashboard(base)
                        assert 'data-alarm="reader_disconnected"' in board
                        assert f"reader 127.0.0.1:{port}" in board

                        # Plugged back: the reader service reconnects, the alarm clears.
                        emulator = plug(port)
                        wait_until(
                            lambda: reader_alarms(base, open_only=True) == [],
                            "the alarm cleared on central",
                        )
                        time.sleep(3)  # six more reports: none may push anything again
                finally:
                    unplug(emulator)
                    reading.terminate()
                    reading.wait(timeout=20)

            def pushed() -> list[tuple[str, str]]:
                return [
                    (hook["transition"], hook["alarm"]["id"])
                    for hook in sinks.hooks
                    if hook["alarm"]["code"] == "reader_disconnected"
                ]

            wait_until(lambda: len(pushed()) >= 2, "the raise and the clear pushed")
            time.sleep(1.5)  # three push rounds: nothing more may come
            history = reader_alarms(base, open_only=False)
            board_after = dashboard(base)

    assert pushed() == [("raise", raised["id"]), ("clear", raised["id"])]
    # The box was healthy but for its reader: nothing else was raised, even at start-up.
    assert {hook["alarm"]["code"] for hook in sinks.hooks} == {"reader_disconnected"}
    (cleared,) = history
    assert cleared["id"] == raised["id"]
    assert cleared["cleared_us"] is not None
    assert cleared["pushes_waiting"] == 0
    assert 'data-cleared="reader_disconnected"' in board_after
    subjects = [m["Subject"] for m in sinks.mails if "reader_disconnected" in m["Subject"]]
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("[ALARM] box-alarm-")
    assert subjects[1].startswith("[cleared] box-alarm-")
    mail = next(m for m in sinks.mails if "reader_disconnected" in m["Subject"])
    assert mail["To"] == "ops@example.org"
    assert "is disconnected" in mail.get_payload()
