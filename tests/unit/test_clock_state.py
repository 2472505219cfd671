"""chronyc's CSV read into a clock state, the NTP offset of one exchange, the clock alarms."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.clocks.alarms import ClockState, ReaderClock, SlaveClock, clock_alarms
from edge.clocks.chrony import ChronyState, parse_sources, parse_tracking
from edge.clocks.errors import ChronyUnreadable
from edge.clocks.eventlan import event_lan_sources
from edge.clocks.ntp import ClockSample, OffsetFilter
from edge.roleconfig import RoleConfig

FIXTURES = Path(__file__).parent.parent / "fixtures" / "chrony"


def _state(tracking: str, sources: str | None = None) -> ChronyState:
    parsed = parse_sources((FIXTURES / sources).read_text()) if sources else ()
    return ChronyState(parse_tracking((FIXTURES / tracking).read_text()), parsed)


def test_a_slave_following_its_master_is_synchronised() -> None:
    state = _state("tracking-slave-synchronised.csv", "sources-slave-synchronised.csv")
    assert state.synchronised
    assert state.tracking is not None
    assert (state.tracking.reference, state.tracking.stratum) == ("127.0.0.1", 11)
    assert state.tracking.offset_us == -2  # -0.000001670 s, rounded to the µs
    assert state.source is not None
    assert (state.source.name, state.source.reach, state.source.mode) == ("127.0.0.1", 0o377, "^")
    assert clock_alarms(ClockState(state)) == []


def test_before_the_first_answer_the_clock_is_not_synchronised() -> None:
    state = _state("tracking-unsynchronised.csv", "sources-unreachable.csv")
    assert not state.synchronised
    assert state.source is None
    assert state.sources[0].state == "unreachable"
    [alarm] = clock_alarms(ClockState(state))
    assert alarm.code == "clock_unsynchronised"
    assert "not synchronised" in alarm.detail


def test_a_master_on_its_own_clock_is_not_synchronised() -> None:
    """After a power cut without network, `local stratum 10` says Normal: no source all the same."""
    state = _state("tracking-local-stratum.csv")
    assert state.tracking is not None
    assert state.tracking.local
    assert state.tracking.leap_status == "Normal"
    assert not state.synchronised
    [alarm] = clock_alarms(ClockState(state))
    assert alarm.code == "clock_unsynchronised"
    assert "its own clock" in alarm.detail


def test_a_gps_reference_clock_is_a_source() -> None:
    state = _state("tracking-gps.csv", "sources-gps.csv")
    assert state.synchronised
    assert state.source is not None
    assert (state.source.mode, state.source.name) == ("#", "GPS")
    assert state.sources[1].state == "unreachable"


def test_chronyd_missing_is_said_plainly() -> None:
    state = ChronyState(problem="chronyd is not running (506 Cannot talk to daemon)")
    [alarm] = clock_alarms(ClockState(state))
    assert (alarm.code, alarm.subject) == ("clock_unsynchronised", "box")
    assert "chronyd is not running" in alarm.detail


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("7F000001,127.0.0.1,11,1.0,0.1", "5 fields"),
        ("7F000001,127.0.0.1,eleven,1,0,0,0,0,0,0,0,0,1.0,Normal", "eleven"),
        ("", "0 lines"),
    ],
)
def test_unreadable_tracking_names_the_problem(text: str, what: str) -> None:
    with pytest.raises(ChronyUnreadable, match=what):
        parse_tracking(text)


def test_unreadable_sources_names_the_problem() -> None:
    with pytest.raises(ChronyUnreadable, match="sources"):
        parse_sources("^,*,127.0.0.1,10,0,999,1,0,0,0")  # reach is octal


def test_one_exchange_gives_the_offset_and_the_round_trip() -> None:
    # The SLAVE is 250 ms ahead; 3 ms each way on the wire, the MASTER answers in 1 ms.
    true_send = 1_000_000_000
    t1 = true_send + 250_000
    t2 = true_send + 3_000
    t3 = t2 + 1_000
    t4 = true_send + 7_000 + 250_000
    sample = ClockSample.from_timestamps(t1, t2, t3, t4)
    assert (sample.offset_us, sample.delay_us, sample.measured_us) == (250_000, 6_000, t4)


def test_an_asymmetric_path_errs_by_at_most_half_the_delay() -> None:
    # 1 ms out, 9 ms back, clocks equal: the offset is off by (9 - 1) / 2 ms.
    sample = ClockSample.from_timestamps(0, 1_000, 1_000, 10_000)
    assert sample.delay_us == 10_000
    assert abs(sample.offset_us) <= sample.delay_us // 2


def test_the_filter_keeps_the_sample_with_the_smallest_delay() -> None:
    window = OffsetFilter(window=3)
    with pytest.raises(ValueError, match="no clock sample"):
        window.best()
    window.add(ClockSample(offset_us=40_000, delay_us=80_000, measured_us=1))
    best = window.add(ClockSample(offset_us=1_000, delay_us=2_000, measured_us=2))
    assert best.offset_us == 1_000
    window.add(ClockSample(offset_us=30_000, delay_us=50_000, measured_us=3))
    window.add(ClockSample(offset_us=20_000, delay_us=40_000, measured_us=4))
    assert window.best().offset_us == 1_000
    window.add(ClockSample(offset_us=25_000, delay_us=45_000, measured_us=5))
    # The good sample left the window: the best of the three left.
    assert window.best().offset_us == 20_000
    assert len(window) == 3


def test_offsets_beyond_the_tolerance_raise_alarms_either_way() -> None:
    synced = _state("tracking-slave-synchronised.csv", "sources-slave-synchronised.csv")
    slaves = (
        SlaveClock("dev-ahead", "START", 25_000, 500, 1),
        SlaveClock("dev-behind", "KM5", -21_000, 500, 1),
        SlaveClock("dev-fine", "KM10", 19_999, 500, 1),
    )
    readers = (ReaderClock("10.0.0.9:5084", 3_600_000_000, -30_000), ReaderClock("r2", 0, 5))
    alarms = clock_alarms(ClockState(synced, readers=readers, slaves=slaves))
    assert [(a.code, a.subject) for a in alarms] == [
        ("clock_offset", "dev-ahead"),
        ("clock_offset", "dev-behind"),
        ("reader_clock_drift", "10.0.0.9:5084"),
    ]
    assert "+25.0 ms" in alarms[0].detail
    assert "START" in alarms[0].detail
    assert clock_alarms(ClockState(synced, slaves=slaves), tolerance_us=30_000) == []


def test_only_a_slave_has_an_event_lan_source_its_master() -> None:
    slave = RoleConfig(
        role="slave", event="e", point="KM5", master_url="http://192.168.50.1:80", event_key="k"
    )
    lines = [line for line in event_lan_sources(slave).splitlines() if not line.startswith("#")]
    assert lines == ["server 192.168.50.1 iburst prefer minpoll 2 maxpoll 6"]
    assert event_lan_sources(RoleConfig(role="master", event="e", event_key="k")) == ""
    found = slave.model_copy(update={"master_url": None, "discovery": True})
    assert event_lan_sources(found) == ""  # found by mDNS: no address to give chrony yet
