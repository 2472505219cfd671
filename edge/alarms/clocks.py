"""The clocks' alarms (``edge.clocks``) as the box's alarms: banner, report, pushes.

``edge.clocks.alarms.clock_alarms`` says what is wrong with a clock; here it becomes
the alarms' input: whether the box's clock is synchronised (the rule
``clock_unsynchronised``), and one alarm per SLAVE off its MASTER's clock beyond the
tolerance (``clock_offset``, about the SLAVE's point) and per reader whose clock
drifted since connect (``reader_clock_drift``, about the reader).

A box where chrony cannot be asked (not installed, chronyd stopped: a development
machine, a test) has an unknown clock, not an unsynchronised one: the clock panel
says why in red, the banner stays quiet. On a Pi chrony always runs (the image).
"""

from __future__ import annotations

from edge.alarms.model import Alarm, ClockState, Severity
from edge.clocks import alarms as clocks
from edge.clocks.chrony import ChronyState
from edge.phrase import Phrase


def own_clock(chrony: ChronyState) -> ClockState:
    """Whether the box's clock is synchronised, as the alarm rules take it."""
    if chrony.problem:
        return ClockState(synchronised=None, detail=str(chrony.problem))
    if chrony.synchronised:
        return ClockState(synchronised=True)
    return ClockState(synchronised=False, detail=str(clocks.unsynchronised_reason(chrony)))


def clock_alarms(state: clocks.ClockState, tolerance_us: int) -> list[Alarm]:
    """The offset and drift alarms of ``state`` (the box's own clock: see ``own_clock``)."""
    found: list[Alarm] = []
    for alarm in clocks.clock_alarms(state, tolerance_us):
        if alarm.code == "clock_offset":
            found.append(
                Alarm(
                    "clock_offset",
                    Severity.CRITICAL,
                    _phrase(alarm.detail),
                    point=alarm.point or alarm.subject,
                )
            )
        elif alarm.code == "reader_clock_drift":
            found.append(
                Alarm(
                    "reader_clock_drift",
                    Severity.WARNING,
                    _phrase(alarm.detail),
                    reader=alarm.subject,
                )
            )
    return found


def _phrase(detail: str) -> Phrase:
    """The clock's words as a Phrase (pages say it in French): edge.clocks writes them so;
    words from elsewhere are said as they are, after "Clock:"."""
    if isinstance(detail, Phrase):
        return detail
    return Phrase("Clock: {detail}", detail=detail)
