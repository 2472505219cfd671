"""A reader's greeting handled late does not shift the reads of its connection.

Found by the chaos campaign (tests/chaos), seed 9: at the rig's start-up km5's reader
process handled the greeting 144 ms late, the client took its clock offset from the
greeting alone, and 69 KM5 passings were 0.15 s late against the ground truth. Here the
LLRP emulator (its clock in the year 2000) sends its greeting 150 ms after stamping it
(``ReaderProfile.greeting_delay_s``), then prompt reports; sllurp reads it over TCP and
the emulator's sent log is the ground truth.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from edge.rfid.client import ReaderClient
from edge.rfid.emulator import BackgroundEmulator, BurstScenario, ReaderProfile
from edge.rfid.emulator.timeline import offset_for_year
from edge.roleconfig import ReaderConfig
from edge.store.reads import ReadIn

pytestmark = pytest.mark.integration

LATE_S = 0.150
TOLERANCE_US = 50_000  # a loaded CI box delays reports too, but not by the greeting's 150 ms


def test_chaos_seed_9_a_late_greeting_leaves_the_corrected_times_true(tmp_path: Path) -> None:
    sent_log = tmp_path / "sent.jsonl"
    received: list[ReadIn] = []
    reader_ahead_us = offset_for_year(2000)  # reader time minus box time (negative)

    async def read_then_stop(port: int) -> ReaderClient:
        client = ReaderClient(ReaderConfig(host="127.0.0.1", port=port), received.extend)
        await client.connect()
        await asyncio.sleep(1.5)
        await client.close(polite=True)
        return client

    burst = BurstScenario(tags=20, duration_s=1.0, reads_per_s=200.0, antennas=(1,))
    late = ReaderProfile(greeting_delay_s=LATE_S)
    with BackgroundEmulator(
        burst, profile=late, clock_offset_us=reader_ahead_us, sent_log=sent_log
    ) as emulator:
        client = asyncio.run(read_then_stop(emulator.port))

    lines = [json.loads(line) for line in sent_log.read_text().splitlines()]
    sent = [(x["epc"], x["reader_time_us"]) for x in lines if x["kind"] == "read"]
    assert len(sent) > 100
    assert [(r.epc, r.reader_time_us) for r in received] == sent, "none lost, none doubled"
    assert client.offset_settled
    assert client.clock_offset_us is not None
    error_us = client.clock_offset_us + reader_ahead_us  # the truth is -reader_ahead_us
    assert 0 <= error_us < TOLERANCE_US, f"offset {error_us / 1000:.1f} ms late"
    for read in received:
        truth_us = read.reader_time_us - reader_ahead_us  # the box's time of the read
        assert 0 <= read.corrected_time_us - truth_us < TOLERANCE_US, read
