"""The alarm rules: pure functions from a snapshot of the box to the alarms it must show."""

from __future__ import annotations

from edge.alarms.model import (
    Alarm,
    AlarmCode,
    BacklogState,
    BoxSnapshot,
    ClockState,
    DiskState,
    PointWatch,
    ReaderWatch,
    Severity,
    Thresholds,
    WorkerState,
)
from edge.alarms.rules import evaluate, merge
from edge.phrase import Phrase

S = 1_000_000
NOW = 1_780_000_000 * S
LIMITS = Thresholds(no_read_s=60, disk_free_pct=10, backlog_age_s=120)


def keys(alarms: list[Alarm]) -> list[str]:
    return [a.key for a in alarms]


def snapshot(**parts: object) -> BoxSnapshot:
    return BoxSnapshot(NOW, **parts)  # type: ignore[arg-type]


def test_a_healthy_box_has_no_alarm():
    healthy = snapshot(
        points=[PointWatch("FINISH", NOW - 3600 * S, 60, NOW - 5 * S, {1: NOW - 5 * S})],
        readers=[ReaderWatch("10.0.0.5:5084", "FINISH", True, True, True)],
        clock=ClockState(synchronised=True),
        disk=DiskState(50 * 2**30, 64 * 2**30),
        backlog=BacklogState("central", 3, 2.0),
        worker=WorkerState(running=True, heartbeat_us=NOW),
    )
    assert evaluate(healthy, LIMITS) == []


def test_no_read_counts_from_the_start_of_the_race_then_from_the_last_read():
    just_started = PointWatch("FINISH", NOW - 30 * S, 60, None)
    assert evaluate(snapshot(points=[just_started]), LIMITS) == []
    long_open = PointWatch("FINISH", NOW - 600 * S, 60, NOW - 61 * S)
    (alarm,) = evaluate(snapshot(points=[long_open]), LIMITS)
    assert alarm.key == "no_read:point FINISH"
    assert alarm.since_us == NOW - 61 * S
    assert alarm.severity is Severity.CRITICAL
    assert str(alarm.message) == "No read at FINISH for 61 s while its race is open"


def test_a_point_can_set_its_own_delay_or_turn_the_alarm_off():
    quiet = NOW - 200 * S
    assert keys(evaluate(snapshot(points=[PointWatch("KM5", quiet, 300, quiet)]), LIMITS)) == []
    assert keys(evaluate(snapshot(points=[PointWatch("KM5", quiet, 0, quiet)]), LIMITS)) == []
    assert keys(evaluate(snapshot(points=[PointWatch("KM5", quiet, 150, quiet)]), LIMITS)) == [
        "no_read:point KM5"
    ]


def test_one_silent_antenna_while_the_others_read():
    point = PointWatch(
        "FINISH", NOW - 3600 * S, 60, NOW - 1 * S, {1: NOW - 1 * S, 2: NOW - 90 * S, 3: NOW}
    )
    (alarm,) = evaluate(snapshot(points=[point]), LIMITS)
    assert alarm.key == "no_read:point FINISH antenna 2"
    assert alarm.antenna == 2


def test_a_silent_point_raises_one_alarm_not_one_per_antenna():
    point = PointWatch(
        "FINISH", NOW - 3600 * S, 60, NOW - 90 * S, {1: NOW - 90 * S, 2: NOW - 95 * S}
    )
    assert keys(evaluate(snapshot(points=[point]), LIMITS)) == ["no_read:point FINISH"]


def test_reader_disconnected_says_why():
    cases = {
        "Reader r:5084 (FINISH) is disconnected: connection refused": ReaderWatch(
            "r:5084", "FINISH", True, False, True, last_error="connection refused"
        ),
        "Reader r:5084 (FINISH): the reader service is not running": ReaderWatch(
            "r:5084", "FINISH", True, True, False
        ),
        "Reader r:5084 (FINISH): no reader service has reported; is chrono-edge reader running?": (
            ReaderWatch("r:5084", "FINISH", False)
        ),
    }
    for message, reader in cases.items():
        (alarm,) = evaluate(snapshot(readers=[reader]), LIMITS)
        assert alarm.key == "reader_disconnected:reader r:5084"
        assert str(alarm.message) == message


def test_clock_disk_backlog_and_worker():
    sick = snapshot(
        clock=ClockState(synchronised=False, detail="no source reachable"),
        disk=DiskState(3 * 2**30, 64 * 2**30),
        backlog=BacklogState("master", 5400, 312.0),
        worker=WorkerState(running=False, heartbeat_us=NOW - 40 * S),
    )
    found = {a.code: a for a in evaluate(sick, LIMITS)}
    assert set(found) == {
        AlarmCode.CLOCK_UNSYNCHRONISED,
        AlarmCode.DISK_LOW,
        AlarmCode.OUTBOX_BACKLOG,
        AlarmCode.WORKER_DOWN,
    }
    assert "4.7 % free" in found[AlarmCode.DISK_LOW].message
    assert "5400 changes wait for the master" in found[AlarmCode.OUTBOX_BACKLOG].message
    assert found[AlarmCode.DISK_LOW].severity is Severity.WARNING
    # Criticals come first.
    assert [a.severity for a in evaluate(sick, LIMITS)][:2] == [Severity.CRITICAL] * 2


def test_an_unknown_clock_raises_nothing():
    assert evaluate(snapshot(clock=ClockState()), LIMITS) == []


def test_alarms_of_another_source_are_merged_once_per_key():
    drift = Alarm("clock_drift", Severity.CRITICAL, Phrase("SLAVE KM5 is 80 ms off"), point="KM5")
    again = Alarm("clock_drift", Severity.CRITICAL, Phrase("SLAVE KM5 is 81 ms off"), point="KM5")
    sick = snapshot(disk=DiskState(1, 100))
    merged = evaluate(sick, LIMITS, [drift, again])
    assert keys(merged) == ["clock_drift:point KM5", "disk_low:box"]
    assert merged[0].message == "SLAVE KM5 is 80 ms off"
    assert merge([drift], [again]) == [drift]
