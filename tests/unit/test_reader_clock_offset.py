"""The reader's clock offset, settled the NTP way over the greeting and the first reports.

Found by the chaos campaign (tests/chaos), seed 9: at the rig's start-up, with every
process of four hosts starting on 2 CPUs, km5's reader process handled the reader's
greeting 144 ms late; the client took the offset from the greeting alone, and every
passing of that connection was 0.15 s late. Here the box's clock is scripted: the
greeting is handled 150 ms after the reader stamped it, the reports that follow 1 ms
after their read; every sample is the offset plus its delay, so the least one wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from edge.rfid import client as client_module
from edge.rfid.client import SETTLE_S, SETTLE_SAMPLES, ReaderClient
from edge.roleconfig import ReaderConfig
from edge.store.reads import ReadIn

READER_BEHIND_US = 846_000_000_000_000  # a reader whose clock reads the year 2000
LATE_GREETING_US = 150_000  # as km5's, handled late at the rig's start-up
PROMPT_US = 1_000  # a report handled 1 ms after its read
START_US = 1_796_000_000_000_000  # the box's clock at the greeting (December 2026)


class BoxClock:
    """The box's wall clock, as ``box_now_us`` reads it: set by the test."""

    def __init__(self) -> None:
        self.now_us = START_US

    def __call__(self) -> int:
        return self.now_us


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> BoxClock:
    clock = BoxClock()
    monkeypatch.setattr(client_module, "box_now_us", clock)
    return clock


class Sink:
    """What the client hands on, and when (how many samples it had seen)."""

    def __init__(self) -> None:
        self.reads: list[ReadIn] = []
        self.calls = 0
        self.arrived = threading.Event()

    def __call__(self, reads: list[ReadIn]) -> None:
        self.reads.extend(reads)
        self.calls += 1
        self.arrived.set()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def client(sink: Sink) -> Iterator[ReaderClient]:
    reader = ReaderClient(ReaderConfig(host="127.0.0.1", port=5084), sink)
    yield reader
    reader.settle()  # no timer left running


def greet(client: ReaderClient, box: BoxClock, *, late_us: int, key: str = "UTCTimestamp") -> None:
    """The reader stamps its greeting at the box's START_US; the box handles it late_us later."""
    box.now_us = START_US + late_us
    client._on_event(None, {key: {"Microseconds": START_US - READER_BEHIND_US}})


def report(
    client: ReaderClient, box: BoxClock, seen_box_us: int, *, late_us: int = PROMPT_US,
    epc: str = "E200001", key: str = "FirstSeenTimestampUTC",
) -> None:  # fmt: skip
    """One tag report: the read seen at the box's seen_box_us, handled late_us later."""
    box.now_us = seen_box_us + late_us
    tag: dict[str, Any] = {
        "EPC": epc.encode("ascii"),
        "AntennaID": 1,
        "PeakRSSI": -55,
        key: seen_box_us - READER_BEHIND_US,
    }
    client._on_tags(None, [tag])


def test_chaos_seed_9_a_late_greeting_does_not_shift_the_reads(
    client: ReaderClient, box: BoxClock, sink: Sink
) -> None:
    greet(client, box, late_us=LATE_GREETING_US)
    assert client.clock_offset_us == READER_BEHIND_US + LATE_GREETING_US  # the greeting alone
    seen = [START_US + 400_000 + 20_000 * i for i in range(SETTLE_SAMPLES - 1)]
    for i, at in enumerate(seen):
        report(client, box, at, epc=f"E2000{i:02d}")
        if i < len(seen) - 1:
            assert sink.reads == [], "the first reads wait for the offset to settle"
    assert client.offset_settled
    assert sink.calls == 1, "held reads go out together, once settled"
    assert [r.epc for r in sink.reads] == [f"E2000{i:02d}" for i in range(len(seen))]
    for read, truth in zip(sink.reads, seen, strict=True):
        assert abs(read.corrected_time_us - truth) <= 2 * PROMPT_US, (read, truth)
    assert client.clock_offset_us == READER_BEHIND_US + PROMPT_US

    later = START_US + 2_000_000
    report(client, box, later, epc="E200099")
    assert sink.calls == 2, "once settled, each report goes straight on"
    assert sink.reads[-1].corrected_time_us == later + PROMPT_US
    assert client.clock_drift_us == 0  # the reader's clock kept time since settling


def test_a_read_alone_is_released_by_the_timer_with_the_best_offset(
    client: ReaderClient, box: BoxClock, sink: Sink
) -> None:
    greet(client, box, late_us=LATE_GREETING_US)
    report(client, box, START_US + 60_000_000)  # a lone runner a minute after connect
    assert sink.reads == []
    assert sink.arrived.wait(SETTLE_S + 10), "the timer released the held read"
    [read] = sink.reads
    assert read.corrected_time_us == START_US + 60_000_000 + PROMPT_US
    assert client.offset_settled


@pytest.mark.parametrize("polite", [True, False], ids=["polite stop", "link lost"])
def test_reads_held_when_the_connection_ends_still_reach_the_sink(
    client: ReaderClient, box: BoxClock, sink: Sink, polite: bool
) -> None:
    greet(client, box, late_us=LATE_GREETING_US)
    seen = [START_US + 300_000, START_US + 310_000]
    report(client, box, seen[0], late_us=30_000, epc="E200001")  # sllurp behind: late too
    report(client, box, seen[1], epc="E200002")
    assert sink.reads == []
    if polite:
        client._close(polite=True)  # no sllurp client: only the release is left to do
    else:
        client._on_disconnected(None)
    assert [r.epc for r in sink.reads] == ["E200001", "E200002"]
    assert [r.corrected_time_us for r in sink.reads] == [t + PROMPT_US for t in seen]
    client.settle()
    assert len(sink.reads) == 2, "released once"


def test_a_reader_reporting_uptime_settles_the_same_way(
    client: ReaderClient, box: BoxClock, sink: Sink
) -> None:
    greet(client, box, late_us=LATE_GREETING_US, key="Uptime")
    for i in range(SETTLE_SAMPLES - 1):
        report(client, box, START_US + 100_000 * i, key="FirstSeenTimestampUptime")
    assert client.offset_settled
    assert len(sink.reads) == SETTLE_SAMPLES - 1
    for i, read in enumerate(sink.reads):
        assert read.corrected_time_us == START_US + 100_000 * i + PROMPT_US


def test_a_prompt_greeting_is_the_best_sample(
    client: ReaderClient, box: BoxClock, sink: Sink
) -> None:
    greet(client, box, late_us=0)
    for i in range(SETTLE_SAMPLES - 1):
        report(client, box, START_US + 100_000 * i, late_us=5_000)
    assert client.clock_offset_us == READER_BEHIND_US
    assert [r.corrected_time_us for r in sink.reads] == [
        START_US + 100_000 * i for i in range(SETTLE_SAMPLES - 1)
    ]
    # Reports 5 ms late against a prompt greeting: the reader seems 5 ms behind since.
    assert client.clock_drift_us == -5_000
