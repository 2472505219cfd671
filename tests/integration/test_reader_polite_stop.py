"""A polite stop of the LLRP client keeps every report the reader sent before it.

Found by the chaos campaign (tests/chaos), seed 1: with no fault at all, the finish
box's reader, stopped politely at the end of the campaign, lost the last 676 reads its
emulator had sent. Under load sllurp decodes seconds behind its socket; the reader
answers the stop only behind those reports, and the client cut the link after a fixed
5 s with them received but not yet decoded. Here a slow sink holds sllurp behind on
purpose; the emulator's sent log is the ground truth.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from edge.rfid.client import ReaderClient
from edge.rfid.emulator import BackgroundEmulator, BurstScenario
from edge.roleconfig import ReaderConfig
from edge.store.reads import ReadIn

pytestmark = pytest.mark.integration

SINK_S_PER_REPORT = 0.001  # sllurp's thread decodes at most ~1000 reports/s


def test_a_polite_stop_keeps_the_reports_sllurp_is_behind_on(tmp_path: Path) -> None:
    sent_log = tmp_path / "sent.jsonl"
    received: list[ReadIn] = []

    def slow_sink(reads: list[ReadIn]) -> None:  # runs on sllurp's thread
        time.sleep(SINK_S_PER_REPORT * len(reads))
        received.extend(reads)

    async def read_then_stop(port: int) -> float:
        client = ReaderClient(ReaderConfig(host="127.0.0.1", port=port), slow_sink)
        await client.connect()
        await asyncio.sleep(1.5)  # ~6,000 reads sent, ~1,500 decoded
        stopping = time.monotonic()
        await client.close(polite=True)
        return time.monotonic() - stopping

    burst = BurstScenario(tags=50, duration_s=2.0, reads_per_s=4000)
    with BackgroundEmulator(burst, sent_log=sent_log) as emulator:
        stop_s = asyncio.run(read_then_stop(emulator.port))
    lines = [json.loads(line) for line in sent_log.read_text().splitlines()]
    sent = [(x["epc"], x["antenna"], x["reader_time_us"]) for x in lines if x["kind"] == "read"]
    got = [(read.epc, read.antenna, read.reader_time_us) for read in received]
    assert len(sent) > 5000, "the reader sent far more than sllurp decoded before the stop"
    assert got == sent, f"{len(sent) - len(got)} of {len(sent)} reads lost in a {stop_s:.1f} s stop"
