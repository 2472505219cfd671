"""Clock alarms: a pure function of the clock state, for the alarms framework to raise.

``clock_alarms(state, tolerance_us)`` lists what is wrong now, each with a stable code:

- ``clock_unsynchronised``: chrony does not vouch for this box's clock (no source, chronyd
  not running, or a MASTER serving its own clock after a power cut without network);
- ``clock_offset``: a SLAVE's clock is further from its MASTER's than the tolerance (its
  passings are marked, not silently trusted);
- ``reader_clock_drift``: a reader's clock moved from the box's by more than the tolerance
  since connect (its reads' times are corrected by the offset seen at connect).
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.clocks.chrony import ChronyState
from edge.phrase import Phrase

DEFAULT_TOLERANCE_US = 20_000
"""A SLAVE or a reader further off than this (20 ms) raises an alarm."""


@dataclass(frozen=True)
class SlaveClock:
    """A SLAVE's clock as it last reported it to its MASTER (best of its recent samples)."""

    device_id: str
    point: str
    offset_us: int  # SLAVE minus MASTER
    delay_us: int
    measured_us: int  # when the MASTER received the report (its clock)


@dataclass(frozen=True)
class ReaderClock:
    """A reader's clock: reader minus box at connect, and how far that moved since."""

    reader: str
    offset_us: int | None
    drift_us: int | None


@dataclass(frozen=True)
class ClockState:
    """Everything a box knows about clocks: its own, its readers', its SLAVEs' (on a MASTER)."""

    chrony: ChronyState
    readers: tuple[ReaderClock, ...] = ()
    slaves: tuple[SlaveClock, ...] = ()
    own_offset: SlaveClock | None = None  # on a SLAVE: its offset to the MASTER, last measured


@dataclass(frozen=True)
class ClockAlarm:
    """One thing wrong with a clock: a stable ``code``, what it is about, and what to do."""

    code: str  # clock_unsynchronised | clock_offset | reader_clock_drift
    subject: str  # "box", a SLAVE's device id, a reader's host:port
    detail: str
    point: str | None = None  # a SLAVE's timing point


def over_tolerance(offset_us: int | None, tolerance_us: int = DEFAULT_TOLERANCE_US) -> bool:
    """Whether an offset is beyond the tolerance either way."""
    return offset_us is not None and abs(offset_us) > tolerance_us


def clock_alarms(state: ClockState, tolerance_us: int = DEFAULT_TOLERANCE_US) -> list[ClockAlarm]:
    """The clock alarms of ``state`` (empty when every clock can be trusted)."""
    alarms: list[ClockAlarm] = []
    chrony = state.chrony
    if not chrony.synchronised:
        alarms.append(ClockAlarm("clock_unsynchronised", "box", unsynchronised_reason(chrony)))
    ms = tolerance_us / 1000
    slaves = list(state.slaves) + ([state.own_offset] if state.own_offset else [])
    for slave in slaves:
        if over_tolerance(slave.offset_us, tolerance_us):
            alarms.append(
                ClockAlarm(
                    "clock_offset",
                    slave.device_id,
                    Phrase(
                        "the SLAVE at {point} is {offset:+.1f} ms off the MASTER's clock"
                        " (tolerance {tolerance:g} ms): its passings are marked; check chrony"
                        " on the SLAVE (`chronyc sources`)",
                        point=slave.point or "?",
                        offset=slave.offset_us / 1000,
                        tolerance=ms,
                    ),
                    point=slave.point or None,
                )
            )
    for reader in state.readers:
        if over_tolerance(reader.drift_us, tolerance_us):
            assert reader.drift_us is not None
            alarms.append(
                ClockAlarm(
                    "reader_clock_drift",
                    reader.reader,
                    Phrase(
                        "reader {reader}'s clock drifted {drift:+.1f} ms since connect"
                        " (tolerance {tolerance:g} ms): reconnect it to measure it again",
                        reader=reader.reader,
                        drift=reader.drift_us / 1000,
                        tolerance=ms,
                    ),
                )
            )
    return alarms


def unsynchronised_reason(chrony: ChronyState) -> str:
    """Why chrony does not vouch for the clock, in a sentence an operator can act on."""
    if chrony.problem:
        return chrony.problem
    tracking = chrony.tracking
    if tracking is not None and tracking.local:
        return Phrase(
            "no time source: this box serves its own clock to the event LAN (after a power cut"
            " without network it may be hours off); connect it to the internet or a GPS, or"
            " check the time before the start"
        )
    return Phrase(
        "the clock is not synchronised: no time source is reachable (the MASTER for a SLAVE,"
        " the internet or a GPS for the MASTER); check the network, then `chronyc sources`"
    )
