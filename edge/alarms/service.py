"""The box's alarms now, as the console and the status report to central ask for them.

Other modules add their alarms here: a function ``now_us -> alarms`` in
:data:`EXTRA_SOURCES` is merged with the box's own rules (``edge.alarms.rules.merge``).
The clocks (``edge.clocks``, measured by ``edge.services.clocks``) come in as ``clocks``:
whether the box's clock is synchronised, SLAVEs off the MASTER's clock, readers' drift
(``edge.alarms.clocks``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from edge.alarms.clocks import clock_alarms, own_clock
from edge.alarms.gather import AlarmSource, box_alarms, held_state, thresholds_of
from edge.alarms.model import Alarm, ClockState
from edge.alarms.rules import disk_full
from edge.clocks.alarms import ClockState as Clocks
from edge.paths import BoxPaths
from edge.settings import Settings

EXTRA_SOURCES: tuple[AlarmSource, ...] = ()
"""Alarms from other modules (the clock offsets of a SLAVE to its MASTER, say)."""


async def current_alarms(
    settings: Settings,
    paths: BoxPaths | None = None,
    clocks: Clocks | None = None,
    *,
    by_worker: bool = False,
) -> list[Alarm]:
    """Every alarm of the box now (reads the box's files in a thread); ``clocks``: the
    clock state measured now (None: not measured, no clock alarm); ``by_worker``: the
    worker asks, for its own status report (see ``box_alarms``)."""
    paths = settings.paths if paths is None else paths
    clock = ClockState()
    sources = list(EXTRA_SOURCES)
    if clocks is not None:
        clock = own_clock(clocks.chrony)
        tolerance_us = round(settings.clock_tolerance_ms * 1000)
        measured = clock_alarms(clocks, tolerance_us)
        sources.append(lambda _now: measured)

    def look() -> list[Alarm]:
        return box_alarms(
            paths, thresholds_of(settings), clock=clock, sources=sources, by_worker=by_worker
        )

    return await asyncio.to_thread(look)


async def disk_full_alarms(database: Path) -> list[Alarm]:
    """The "disk full" alarm alone (reads held in memory), as /setup shows it."""
    held = await asyncio.to_thread(held_state, database)
    return disk_full(held) if held is not None else []


@dataclass
class AlarmOut:
    """An alarm as the API and the status report show it (times in µs since the epoch, UTC)."""

    key: str  # code and subject: the same while the condition holds
    code: str
    severity: str  # critical | warning
    subject: str  # "box", "reader H:P", "point P" or "point P antenna N"
    point: str | None
    antenna: int | None
    reader: str | None
    message: str  # in the page's language
    message_en: str
    since_us: int | None


def alarm_out(alarm: Alarm, say: Callable[..., str] = str) -> AlarmOut:
    """An alarm for the API: ``message`` said by ``say`` (a page's translator), in English too."""
    return AlarmOut(
        key=alarm.key,
        code=str(alarm.code),
        severity=alarm.severity.value,
        subject=alarm.subject,
        point=alarm.point,
        antenna=alarm.antenna,
        reader=alarm.reader,
        message=str(say(alarm.message)),
        message_en=str(alarm.message),
        since_us=alarm.since_us,
    )


def alarm_json(alarm: Alarm) -> dict[str, Any]:
    """An alarm as JSON, in English (the status report to central)."""
    return asdict(alarm_out(alarm))
