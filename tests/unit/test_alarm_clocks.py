"""The clocks' measurements as the box's alarms (edge.alarms.clocks)."""

from __future__ import annotations

from edge.alarms.clocks import clock_alarms, own_clock
from edge.alarms.model import Severity
from edge.alarms.rules import clock_unsynchronised
from edge.clocks.alarms import ClockState, ReaderClock, SlaveClock
from edge.clocks.chrony import ChronyState

UNKNOWN = ChronyState(problem="chronyd is not running")
NEVER_SYNCED = ChronyState()  # chrony answered nothing usable: no tracking


def test_a_clock_chrony_cannot_tell_about_is_unknown_not_an_alarm() -> None:
    clock = own_clock(UNKNOWN)
    assert clock.synchronised is None
    assert clock_unsynchronised(clock) == []


def test_an_unsynchronised_clock_raises_the_critical_alarm_with_chronys_reason() -> None:
    clock = own_clock(NEVER_SYNCED)
    assert clock.synchronised is False
    [alarm] = clock_unsynchronised(clock)
    assert alarm.severity is Severity.CRITICAL
    assert "not synchronised" in alarm.message


def test_offsets_and_drifts_over_the_tolerance_are_alarms_about_their_point_and_reader() -> None:
    state = ClockState(
        UNKNOWN,
        readers=(ReaderClock("10.0.0.9:5084", 1_000, 25_000), ReaderClock("r2:5084", 0, 3_000)),
        slaves=(
            SlaveClock("slave-a", "KM5", 250_000, 400, 1),
            SlaveClock("slave-b", "KM10", -5_000, 400, 1),
        ),
    )
    found = clock_alarms(state, 20_000)
    assert [(a.code, a.subject, a.severity) for a in found] == [
        ("clock_offset", "point KM5", Severity.CRITICAL),
        ("reader_clock_drift", "reader 10.0.0.9:5084", Severity.WARNING),
    ]
    assert "+250.0 ms off the MASTER's clock" in found[0].message
    assert found[0].message.template != found[0].message  # a Phrase: the console says it in French
