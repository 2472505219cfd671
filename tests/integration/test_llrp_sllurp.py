"""sllurp's real LLRP client against the reader emulator, over TCP on 127.0.0.1.

sllurp runs its own thread on a blocking socket, so the emulator runs in a thread of its
own too (``BackgroundEmulator``) and tests wait on events with timeouts, never sleeps.
``test_simulate_reader_command_serves_sllurp_a_race`` runs the emulator's own command;
the recorded frames are checked offline in ``test_llrp_emulator.py``.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, suppress
from datetime import UTC, datetime
from typing import Any

import pytest
from sllurp.llrp import LLRPMessage, LLRPReaderClient, LLRPReaderConfig
from sllurp.llrp_errors import ReaderConfigurationError
from sllurp.llrp_proto import LLRPROSpec

from edge.domain.clock import from_us, now_us
from edge.rfid.emulator import (
    BackgroundEmulator,
    BurstScenario,
    Faults,
    RaceScenario,
    ScriptedScenario,
    TagRead,
    epc_for_bib,
    offset_for_year,
)
from edge.rfid.emulator import frames as f
from edge.rfid.emulator.cli import build_parser, scenario_from_args

pytestmark = pytest.mark.integration

WAIT_S = 5.0
CONTENT = {"EnableAntennaID": True, "EnablePeakRSSI": True, "EnableFirstSeenTimestamp": True}
CONFIG: dict[str, Any] = {"antennas": [1, 2], "report_every_n_tags": 1}
CONFIG["tag_content_selector"] = CONTENT


class SllurpRun:
    """sllurp's LLRPReaderClient on its own thread, with what it received."""

    def __init__(self, port: int, **overrides: Any) -> None:
        config = LLRPReaderConfig({**CONFIG, **overrides})
        self.client = LLRPReaderClient("127.0.0.1", port, config, timeout=WAIT_S)
        self.reports: list[list[dict[str, Any]]] = []
        self.events: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self.changed = threading.Condition()
        self.disconnected = threading.Event()
        self.client.add_tag_report_callback(lambda _, tags: self._note(self.reports, tags))
        self.client.add_event_callback(lambda _, event: self._note(self.events, event))
        self.client.add_message_callback("KEEPALIVE", self._note_name)
        self.client.add_message_callback("RO_ACCESS_REPORT", self._note_name)
        self.client.add_disconnected_callback(lambda _: self.disconnected.set())

    def _note_name(self, _client: Any, message: LLRPMessage) -> None:
        self._note(self.messages, message.msgname)

    def _note(self, into: list[Any], item: Any) -> None:
        with self.changed:
            into.append(item)
            self.changed.notify_all()

    @property
    def tags(self) -> list[dict[str, Any]]:
        return [tag for report in self.reports for tag in report]

    def wait(self, predicate: Any, timeout: float = WAIT_S) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout=timeout)

    def close(self) -> None:
        if self.client.is_alive():
            # sllurp races here if the reader has just dropped the link: its thread closes
            # the socket while disconnect() writes to it from this thread.
            with suppress(OSError, ReaderConfigurationError):
                self.client.disconnect()
            self.client.join(1.0)  # a response lost to a garbage frame stalls it: force below
        self.client.hard_disconnect()
        self.client.join(WAIT_S)


@pytest.fixture
def emulate() -> Iterator[Any]:
    with ExitStack() as stack:
        yield lambda scenario, **kw: stack.enter_context(BackgroundEmulator(scenario, **kw))


@pytest.fixture
def sllurp(emulate: Any) -> Iterator[Any]:
    """Connect sllurp clients; they are closed before the emulators (fixture order)."""
    with ExitStack() as stack:

        def connect(port: int, **overrides: Any) -> SllurpRun:
            run = SllurpRun(port, **overrides)
            stack.callback(run.close)
            run.client.connect()
            return run

        yield connect


class RawLink:
    """A bare TCP client speaking LLRP frames, for what sllurp never sends."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.stream = self.sock.makefile("rb")
        self.send = self.sock.sendall

    def receive(self) -> dict[str, Any] | None:
        header = self.stream.read(10)
        if len(header) < 10:
            return None  # the reader closed the connection
        length = struct.unpack_from("!I", header, 2)[0]
        return dict(LLRPMessage(msgbytes=header + self.stream.read(length - 10)).msgdict)

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


def status(message: dict[str, Any] | None, name: str) -> str:
    assert message is not None
    assert name in message, message
    return str(message[name]["LLRPStatus"]["StatusCode"])


def test_inventory_delivers_each_runner_with_antenna_rssi_and_timestamp(emulate, sllurp):
    race = RaceScenario(runners=5, first_finish_s=0.1, spread_s=0.4, antennas=(1, 2, 3))
    expected = {epc_for_bib(bib).hex().encode() for bib in range(1, 6)}
    emulator = emulate(race)
    before_us = now_us()
    run = sllurp(emulator.port)
    assert run.wait(lambda r: {t["EPC"] for t in r.tags} == expected)
    tags = run.tags
    assert all(len(report) == 1 for report in run.reports)  # report_every_n_tags=1
    assert {t["AntennaID"] for t in tags} <= {1, 2}  # antenna 3 is not in the ROSpec
    assert all(-90 <= t["PeakRSSI"] <= -35 and t["TagSeenCount"] == 1 for t in tags)
    assert all(before_us - 1_000_000 < t["FirstSeenTimestampUTC"] < now_us() for t in tags)
    times = [t["FirstSeenTimestampUTC"] for t in tags]
    assert times == sorted(times)


def test_scripted_reads_arrive_with_exact_relative_timestamps_and_rssi(emulate, sllurp):
    epc = epc_for_bib(42)
    script = tuple(TagRead(50_000 + n * 12_345, epc, 1 + n % 2, -60 + n) for n in range(6))
    emulator = emulate(ScriptedScenario(script=script))
    run = sllurp(emulator.port)
    assert run.wait(lambda r: len(r.tags) == 6)
    tags = run.tags
    first = tags[0]["FirstSeenTimestampUTC"]
    assert [t["FirstSeenTimestampUTC"] - first for t in tags] == [n * 12_345 for n in range(6)]
    assert [(t["AntennaID"], t["PeakRSSI"]) for t in tags] == [
        (read.antenna_id, read.peak_rssi_dbm) for read in script
    ]


def test_reader_clock_offset_shows_in_connection_event_and_tag_timestamps(emulate, sllurp):
    race = RaceScenario(runners=2, first_finish_s=0.05, spread_s=0.1)
    emulator = emulate(race, clock_offset_us=offset_for_year(2000))
    run = sllurp(emulator.port)
    assert run.wait(lambda r: len(r.tags) >= 3 and r.events)
    assert from_us(run.events[0]["UTCTimestamp"]["Microseconds"]).year == 2000
    assert {from_us(t["FirstSeenTimestampUTC"]).year for t in run.tags} == {2000}


def test_reports_aggregate_reads_per_tag_until_n_tags_are_seen(emulate, sllurp):
    script = tuple(TagRead(10_000 + n * 1_000, epc_for_bib(n % 2), 1, -50) for n in range(40))
    emulator = emulate(ScriptedScenario(script=script))
    counted = {**CONTENT, "EnableTagSeenCount": True}
    run = sllurp(emulator.port, report_every_n_tags=20, tag_content_selector=counted)
    assert run.wait(lambda r: len(r.reports) == 2)
    assert [sum(t["TagSeenCount"] for t in report) for report in run.reports] == [20, 20]
    assert all(len(report) == 2 for report in run.reports)


def test_burst_reports_every_tag_in_the_field(emulate, sllurp):
    emulator = emulate(BurstScenario(tags=60, duration_s=0.4, reads_per_s=1000.0, antennas=(1, 2)))
    run = sllurp(emulator.port)
    assert run.wait(lambda r: len({t["EPC"] for t in r.tags}) == 60)


def test_impinj_extensions_are_enabled_before_capabilities(emulate, sllurp):
    emulator = emulate(RaceScenario(runners=1, first_finish_s=0.05, spread_s=0.0))
    run = sllurp(emulator.port, impinj_search_mode=2)
    assert run.wait(lambda r: len(r.tags) >= 1)
    assert emulator.stats.errors_sent == 0


def test_dropped_connection_is_seen_by_the_client_and_a_new_one_is_healthy(emulate, sllurp):
    faults = Faults(drop_after_reports=5)
    emulator = emulate(RaceScenario(runners=10, first_finish_s=0.05, spread_s=0.5, faults=faults))
    first = sllurp(emulator.port)
    assert first.disconnected.wait(WAIT_S)
    first.client.join(WAIT_S)
    assert not first.client.is_alive()
    assert len(first.reports) == 5
    second = sllurp(emulator.port)
    assert second.wait(lambda r: len(r.reports) > 5)  # faults hit the first connection only
    assert emulator.stats.connections == 2


def test_silent_reader_stops_keepalives_and_sllurp_does_not_notice(emulate, sllurp):
    # Keepalives every 100 ms from the start; the tag comes at 0.35 s; silence after 3 reports.
    script = tuple(TagRead(350_000 + n * 10_000, epc_for_bib(1), 1, -50) for n in range(10))
    emulator = emulate(ScriptedScenario(script=script, faults=Faults(silent_after_reports=3)))
    run = sllurp(emulator.port, keepalive_interval=100)
    assert run.wait(lambda r: len(r.reports) == 3)
    assert run.messages.count("KEEPALIVE") >= 2
    heard = len(run.messages)
    assert not run.wait(lambda r: len(r.messages) > heard, timeout=0.6)  # 6 keepalives due
    assert run.client.is_alive()
    assert not run.disconnected.is_set()
    assert emulator.stats.reports_sent == 3
    run.client.hard_disconnect()  # what a keepalive watchdog has to do
    run.client.join(WAIT_S)
    assert not run.client.is_alive()


def test_unknown_garbage_frames_cost_sllurp_some_reports_but_not_the_link(emulate, sllurp):
    faults = Faults(garbage_every_reports=5)
    emulator = emulate(RaceScenario(runners=10, first_finish_s=0.05, spread_s=0.5, faults=faults))
    run = sllurp(emulator.port)
    assert run.wait(lambda r: len(r.reports) >= 30)
    # The emulator counts the garbage frame it sends after its 30th report once sent:
    # sllurp may have the report before that, so the count is waited for, not read.
    assert run.wait(lambda _: emulator.stats.faults_injected >= 6)
    seen = len(run.reports)
    assert run.wait(lambda r: len(r.reports) > seen)  # reports still come after it
    assert run.client.is_alive()


def test_a_corrupt_report_kills_sllurps_thread_without_disconnect_callback(emulate, sllurp):
    faults = Faults(garbage_every_reports=3, garbage_kind="corrupt-report")
    emulator = emulate(RaceScenario(runners=10, first_finish_s=0.05, spread_s=0.5, faults=faults))
    run = sllurp(emulator.port)
    assert run.wait(lambda r: len(r.reports) == 3)
    run.client.join(WAIT_S)
    assert not run.client.is_alive()  # a watchdog must check the thread
    assert not run.disconnected.is_set()


def test_garbage_and_odd_commands_from_a_client_do_not_crash_the_emulator(emulate, sllurp):
    emu = emulate(RaceScenario(runners=3, first_finish_s=0.05, spread_s=0.2))
    with closing(RawLink(emu.port)) as link:
        assert link.receive() is not None  # READER_EVENT_NOTIFICATION
        link.send(f.message(999, 5, b"junk"))
        assert status(link.receive(), "ERROR_MESSAGE") == "UnsupportedMessage"
        link.send(struct.pack("!HII", 2 << 10 | 1, 11, 6) + b"\x00")
        assert status(link.receive(), "ERROR_MESSAGE") == "UnsupportedVersion"
        link.send(f.message(f.MessageType.ENABLE_ROSPEC, 7, struct.pack("!I", 9)))
        assert status(link.receive(), "ENABLE_ROSPEC_RESPONSE") == "A_Invalid"
        link.send(f.message(f.MessageType.CLOSE_CONNECTION, 8))
        assert status(link.receive(), "CLOSE_CONNECTION_RESPONSE") == "Success"
        assert link.receive() is None
    with closing(RawLink(emu.port)) as link:
        assert link.receive() is not None
        link.send(b"\x04\x01\x00\x00\x00\x03" + b"\x00" * 8)  # claims a 3-byte frame
        assert status(link.receive(), "ERROR_MESSAGE") == "FieldError"
        assert link.receive() is None
    run = sllurp(emu.port)
    assert run.wait(lambda r: len(r.tags) >= 1)
    assert emu.stats.malformed_frames == 1


def test_rospec_with_null_start_trigger_waits_for_start_rospec(emulate):
    rospec = LLRPROSpec(None, 1, antennas=[1], report_every_n_tags=1, tag_content_selector=CONTENT)
    rospec["ROBoundarySpec"]["ROSpecStartTrigger"]["ROSpecStartTriggerType"] = "Null"
    emulator = emulate(RaceScenario(runners=3, first_finish_s=0.05, spread_s=0.2))
    with closing(RawLink(emulator.port)) as link:
        assert link.receive() is not None
        commands = {
            "ADD_ROSPEC": {"ID": 1, "ROSpecID": 1, "ROSpec": rospec},
            "ENABLE_ROSPEC": {"ID": 2, "ROSpecID": 1},
            "START_ROSPEC": {"ID": 3, "ROSpecID": 1},
        }
        for name, fields in commands.items():
            link.send(LLRPMessage(msgdict={name: fields}).msgbytes)
            assert status(link.receive(), name + "_RESPONSE") == "Success"
        report = link.receive()
        assert report is not None
        assert report["RO_ACCESS_REPORT"]["TagReportData"]


def test_cli_arguments_build_the_scenario():
    args = build_parser().parse_args(
        ["--scenario", "race", "--runners", "7", "--clock-year", "2000", "--drop-after", "3"]
    )
    race = scenario_from_args(args)
    assert isinstance(race, RaceScenario)
    assert (race.runners, race.faults.drop_after_reports, len(race.crossings())) == (7, 3, 7)
    host_us = now_us()
    reader_us = host_us + offset_for_year(args.clock_year, now_us=host_us)
    assert from_us(reader_us) == datetime(2000, 1, 1, tzinfo=UTC)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_simulate_reader_command_serves_sllurp_a_race(sllurp):
    port = free_port()
    command = [sys.executable, "-m", "edge.cli", "simulate-reader", "--port", str(port)]
    command += ["--runners", "3", "--first-finish", "0.2", "--spread", "0.2"]
    command += ["--clock-year", "2000"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            assert "LLRP reader emulator on" in process.stderr.readline()
            run = sllurp(port)
            expected = {epc_for_bib(bib).hex().encode() for bib in (1, 2, 3)}
            assert run.wait(lambda r: {t["EPC"] for t in r.tags} == expected)
            assert {from_us(t["FirstSeenTimestampUTC"]).year for t in run.tags} == {2000}
            run.close()
        finally:
            process.terminate()


def test_sent_log_holds_every_read_sllurp_received_and_the_reads_no_one_was_there_for(
    emulate, sllurp, tmp_path
):
    """The ground truth of tests/chaos: the log names each read a client got, per connection."""
    sent = tmp_path / "sent.jsonl"
    faults = Faults(drop_after_reports=5)
    race = RaceScenario(runners=10, first_finish_s=0.05, spread_s=1.5, faults=faults)
    emulator = emulate(race, sent_log=sent)
    first = sllurp(emulator.port)
    assert first.disconnected.wait(WAIT_S)
    first.client.join(WAIT_S)
    time.sleep(0.3)  # the scenario goes on playing while no client is there
    second = sllurp(emulator.port)
    assert second.wait(lambda r: len(r.reports) > 5)
    second.close()
    lines = [json.loads(line) for line in sent.read_text().splitlines()]
    got = {
        conn: [(t["EPC"].decode().upper(), t["AntennaID"], t["FirstSeenTimestampUTC"])
               for t in run.tags]
        for conn, run in ((1, first), (2, second))
    }  # fmt: skip
    logged = {
        conn: [(x["epc"], x["antenna"], x["reader_time_us"]) for x in lines
               if x["kind"] == "read" and x["conn"] == conn]
        for conn in (1, 2)
    }  # fmt: skip
    assert len(got[1]) == 5
    assert logged[1] == got[1]
    assert logged[2][: len(got[2])] == got[2]  # the log may run ahead of sllurp's callbacks
    kinds = [(x["kind"], x.get("conn")) for x in lines if x["kind"] != "read"]
    assert kinds[:4] == [("open", 1), ("start", None), ("close", 1), ("open", 2)]
    (missed,) = [x["count"] for x in lines if x["kind"] == "missed"]
    assert missed > 0
    # Missed: exactly the reads the race played between the two connections' reads.
    played = [r for r in race.reads() if r.antenna_id in CONFIG["antennas"]]
    (zero_us,) = [x["reader_time_us"] for x in lines if x["kind"] == "start"]
    assert logged[1][0][2] - played[0].offset_us == zero_us  # reader time = start + offset
    offsets = [t - zero_us for conn in (1, 2) for _, _, t in logged[conn]]
    between = [r for r in played if offsets[4] < r.offset_us < offsets[5]]
    assert missed == len(between)
