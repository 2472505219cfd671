"""Central's alarm pushes on PostgreSQL: one per raise and one per clear, however many reports
repeat an alarm, and a webhook that fails is tried again in a later round, never twice."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from central.services.alarms import AlarmIn, AlarmService, alarm_channels
from central.services.fleet import FleetService, StatusIn
from central.services.notify import TRIES_PER_ROUND, AlarmNotifier
from central.settings import CentralSettings
from central.store import migrate
from central.store.database import CentralDatabase
from central.store.models import Device
from tests.integration.test_central_sync import enroll
from tests.servers import postgres_database

pytestmark = pytest.mark.integration

DISK = AlarmIn(key="disk_low:box", code="disk_low", severity="warning", subject="box",
               message_en="Disk almost full: 4.2 % free (300 MB)")  # fmt: skip


@contextmanager
def flaky_webhook(failures: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook answering 500 to its first ``failures`` requests, then 204; what it took."""
    taken: list[dict[str, Any]] = []
    seen = [0]

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen[0] += 1
            failing = seen[0] <= failures
            if not failing:
                taken.append(body)
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", taken
    finally:
        server.shutdown()
        server.server_close()


async def scenario(url: str, hook: str, taken: list[dict[str, Any]]) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    device_id, _ = await enroll(url, "pushes")
    settings = CentralSettings(database_url=url, alarm_webhooks=[hook], alarm_push_attempts=5)
    db = CentralDatabase(url)
    try:
        async with db.read() as session:
            device = await session.get(Device, device_id)
        assert device is not None
        fleet = FleetService(db, None, alarm_channels([hook], [], ""))
        notifier = AlarmNotifier(db, settings)
        for _ in range(3):  # three heartbeats with the same alarm: one raise
            await fleet.report(device, StatusIn(role="master", alarms=[DISK]))
        assert await notifier.push_waiting() == 0  # the webhook answers 500 this round
        (alarm,) = await AlarmService(db).alarms(open_only=True)
        assert alarm.pushes_waiting == 1
        assert "answered 500" in alarm.push_error
        assert taken == []
        assert await notifier.push_waiting() == 1  # the next round gets through
        assert await notifier.push_waiting() == 0
        await fleet.report(device, StatusIn(role="master", alarms=[]))
        await fleet.report(device, StatusIn(role="master", alarms=[]))
        assert await notifier.push_waiting() == 1
        assert await notifier.push_waiting() == 0
        (cleared,) = await AlarmService(db).alarms()
        assert cleared.cleared_us is not None
        assert cleared.pushes_waiting == 0
        # A report from a box too old to list alarms leaves nothing raised or cleared.
        await fleet.report(device, StatusIn(role="master"))
        assert len(await AlarmService(db).alarms()) == 1
    finally:
        await db.close()
    assert [(t["transition"], t["alarm"]["id"]) for t in taken] == [
        ("raise", alarm.id),
        ("clear", alarm.id),
    ]
    assert taken[0]["title"] == "[ALARM] box-pushes (spring-10k-2026): disk_low box"


def test_each_raise_and_clear_is_pushed_once_and_a_failing_webhook_is_tried_again() -> None:
    with postgres_database() as url, flaky_webhook(TRIES_PER_ROUND) as (hook, taken):
        asyncio.run(scenario(url, hook, taken))
