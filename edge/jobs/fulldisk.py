"""The box's alarms to central when the job queue cannot send them: the disk is full.

On a full disk the worker cannot claim a job (a claim is a write), so the periodic
``sync.central`` that carries the box's alarms to central stops with the very alarm
central should see ("disk full", reads held in memory). The worker calls
:class:`FullDiskReport` instead while its queue is refused for want of space, at the
sync's period: the alarms the console shows, posted straight to central.
"""

from __future__ import annotations

import logging
import shutil
import time

import httpx

from edge.alarms.service import alarm_json, current_alarms
from edge.errors import ChronoEdgeError
from edge.paths import BoxPaths
from edge.roleconfig import load_role
from edge.settings import Settings
from edge.store.sqlite import out_of_space
from edge.vpn.route import sync_url

log = logging.getLogger(__name__)


class FullDiskReport:
    """Called with each error of the job queue; reports to central when it is a full disk."""

    def __init__(self, settings: Settings, paths: BoxPaths, every_s: float) -> None:
        self._settings = settings
        self._paths = paths
        self._every_s = every_s
        self._next = 0.0

    async def __call__(self, error: BaseException) -> None:
        """Post the box's alarms to central if ``error`` says the disk is full (not too often)."""
        if not out_of_space(error, self._paths.database) or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self._every_s
        try:
            role = load_role(self._paths.role_file)
        except ChronoEdgeError:
            return
        if role.central is None:
            return
        alarms = await current_alarms(self._settings, self._paths, by_worker=True)
        disk = shutil.disk_usage(self._paths.database.parent)
        status = {
            "role": role.role.value,
            "disk_free_pct": 100.0 * disk.free / disk.total,
            "alarms": [alarm_json(alarm) for alarm in alarms],
        }
        headers = {"Authorization": f"Bearer {role.central.device_token}"}
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                response = await client.post(
                    f"{sync_url(role)}/api/v1/devices/status", json=status, headers=headers
                )
            response.raise_for_status()
        except httpx.HTTPError as err:
            log.warning("the disk is full and central cannot be told: %s", err)
            return
        log.warning("the disk is full: %d alarms reported to central directly", len(alarms))
