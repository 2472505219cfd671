"""The gates an update passes before it installs: no live race, nothing unsynced, the
install window, no operator's deferral.

Pure functions of the box's status (``chrono-edge status --json``, as
``edge.services.boxstatus.box_status`` gathers it): the worker asks them in-process
before it starts the installer, the installer asks them again (through the running
release's ``chrono-edge status --json``, as update.yml does) before the first step that
touches the running box. An operator's Force (with a reason) lifts the live-race,
unsynced and window gates; a deferral is lifted only by the operator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from ota.errors import OtaError

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
SYNC_TARGET = {"slave": "master", "master": "central"}
"""Where each role's reads and changes must have gone before an update (the MASTER only
when enrolled with central: an unenrolled MASTER keeps its data and sends it nowhere)."""


@dataclass(frozen=True)
class Refusal:
    """One gate that holds an update back, and why, in words for /setup and central."""

    gate: str  # "live", "unsynced", "window" or "deferred"
    reason: str


@dataclass(frozen=True)
class Window:
    """A daily install window in the box's local time (may wrap past midnight)."""

    opens: time
    closes: time

    def contains(self, moment: time) -> bool:
        """Whether ``moment`` falls in the window."""
        if self.opens <= self.closes:
            return self.opens <= moment < self.closes
        return moment >= self.opens or moment < self.closes

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


def parse_window(text: str) -> Window | None:
    """``HH:MM-HH:MM`` as a Window; an empty text: None (any time)."""
    if not text.strip():
        return None
    match = _WINDOW.match(text)
    if match is None:
        raise OtaError(f"install window {text!r}: write it as HH:MM-HH:MM, e.g. 01:00-05:00")
    hours_open, minutes_open, hours_close, minutes_close = (int(g) for g in match.groups())
    try:
        return Window(time(hours_open, minutes_open), time(hours_close, minutes_close))
    except ValueError as error:
        raise OtaError(f"install window {text!r}: {error}") from None


def refusals(
    status: Mapping[str, Any],
    *,
    now: datetime,
    window: Window | None = None,
    deferred_until: datetime | None = None,
    forced: bool = False,
) -> list[Refusal]:
    """Every gate that holds an update back now (empty: it may install).

    ``now`` is aware; the window is compared with its local time.
    """
    found: list[Refusal] = []
    if deferred_until is not None and now < deferred_until:
        found.append(
            Refusal("deferred", f"deferred from /setup until {deferred_until.isoformat()}")
        )
    if forced:
        return found
    for race in status.get("live_races") or []:
        found.append(
            Refusal(
                "live",
                f"race {race['race']} of {race['event']} is live (open until {race['open_until']})",
            )
        )
    pending = unsynced(status)
    if pending:
        found.append(Refusal("unsynced", pending))
    if window is not None and not window.contains(now.astimezone().time().replace(tzinfo=None)):
        found.append(Refusal("window", f"outside the install window {window}"))
    return found


def unsynced(status: Mapping[str, Any]) -> str:
    """Why the box still holds reads or changes its role must send first ("" if none)."""
    role = status.get("role")
    target = SYNC_TARGET.get(str(role))
    if target is None or (target == "central" and not status.get("enrolled")):
        return ""
    lag = (status.get("sync") or {}).get(target)
    if not lag or not lag.get("pending"):
        return ""
    # No count in the words: they go to central, which keeps a report each time they change.
    return f"reads or changes not yet sent to the {target}"


def explain(found: list[Refusal]) -> str:
    """The refusals in one sentence."""
    return "; ".join(refusal.reason for refusal in found)
