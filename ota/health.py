"""The health gate of a release just started: the rules of update.yml's gate, in Python.

Within the deadline, all of: the web unit's /healthz answers 200 as that version (an
old serve that outlived its restart does not pass); a worker beats after the restart;
and the reader is no worse than before: a reader service that was writing its health
writes it again since the restart, a reader that was connected connects again. An
UNCONFIGURED box runs no reader service, and that is healthy
(ansible/roles/chronoedge_update/tasks/gate.yml).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ota.errors import InstallFailed
from ota.layout import Layout
from ota.running import box_status, healthz

POLL_S = 1.0


def reader_snapshot(status: Mapping[str, Any]) -> dict[str, bool]:
    """What the readers did before an update: any service running, any reader connected."""
    readers = status.get("readers") or []
    return {
        "running": any(reader.get("running") for reader in readers),
        "connected": any(reader.get("connected") for reader in readers),
    }


def unhealthy(status: Mapping[str, Any], before: Mapping[str, bool], since_us: int) -> str | None:
    """Why the box's worker or reader is not back since ``since_us`` (None: they are)."""
    worker = status.get("worker") or {}
    if not worker.get("running") or (worker.get("heartbeat_us") or 0) < since_us:
        return "the worker has not beaten since the restart"
    if status.get("role") == "unconfigured":
        return None
    fresh = [
        reader
        for reader in status.get("readers") or []
        if reader.get("running") and (reader.get("updated_us") or 0) >= since_us
    ]
    if before.get("running") and not fresh:
        return "the reader service has not written its health since the restart"
    if before.get("connected") and not any(reader.get("connected") for reader in fresh):
        return "the reader was connected before the update and has not reconnected"
    return None


def wait_healthy(
    layout: Layout, version: str, before: Mapping[str, bool], since_us: int, deadline_s: float
) -> str | None:
    """Poll until ``version`` passes the gate (None) or the deadline passes (why not)."""
    deadline = time.monotonic() + deadline_s
    why = "no answer yet"
    while True:
        why = _check(layout, version, before, since_us) or ""
        if not why:
            return None
        if time.monotonic() >= deadline:
            return f"{why} (after {deadline_s:.0f} s)"
        time.sleep(POLL_S)


def _check(layout: Layout, version: str, before: Mapping[str, bool], since_us: int) -> str | None:
    code, answered = healthz(layout)
    if code != 200 or answered != version:
        shown = f"{code} from {answered}" if answered else str(code or "no answer")
        return f"/healthz answered {shown}, not 200 from {version}"
    try:
        status = box_status(layout)
    except InstallFailed as error:
        return str(error)
    return unhealthy(status, before, since_us)
