"""The emulator's and sllurp 3.0.5's LLRP frames, recorded: unchanged, and read by the other side.

Recorded frames live in ``tests/fixtures/llrp`` (see its README); set
``CHRONO_RECORD_LLRP_FIXTURES=1`` to write them again after a deliberate change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sllurp.llrp import LLRPClient, LLRPMessage, LLRPReaderConfig
from sllurp.llrp import LLRPReaderState as State
from sllurp.llrp_decoder import msg_header_decode

from edge.rfid.emulator import capabilities as caps
from edge.rfid.emulator import epc_for_bib
from edge.rfid.emulator import frames as f
from edge.rfid.emulator.commands import parse_add_rospec, parse_set_reader_config
from tests.integration.test_llrp_sllurp import CONFIG

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "llrp"
READER_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z: a reader without a real-time clock
# What sllurp asks for with CONFIG's tag_content_selector on top of its own defaults.
SLLURP_FIELDS = ("rospec_id", "antenna_id", "peak_rssi", "first_seen", "last_seen")
SLLURP_CONTENT = f.ContentSelector(**dict.fromkeys(SLLURP_FIELDS, True), tag_seen_count=True)


def reader_frames() -> dict[str, bytes]:
    profile = caps.ReaderProfile()
    entries = [
        f.TagReportEntry(epc_for_bib(17), 2, -52, READER_US + 1_000, READER_US + 1_000),
        f.TagReportEntry(epc_for_bib(18), 1, -47, READER_US + 2_500, READER_US + 9_000, 4),
    ]
    return {
        "reader_connection_event.bin": f.connection_event(1, READER_US),
        "reader_capabilities_response.bin": caps.capabilities_response(1, profile),
        "reader_config_response.bin": caps.reader_config_response(2, profile, 60_000),
        "reader_ro_access_report.bin": f.ro_access_report(7, entries, SLLURP_CONTENT),
    }


def sllurp_offline_session() -> tuple[list[bytes], int]:
    """Drive sllurp's state machine with the emulator's frames; return what it sent."""
    sent: list[bytes] = []
    client = LLRPClient(LLRPReaderConfig(dict(CONFIG)), transport_tx_write=sent.append)
    replies = list(reader_frames().values())[:3]  # connection event, capabilities, config
    answered = ("SET_READER_CONFIG", "DELETE_ACCESSSPEC", "DELETE_ROSPEC", "ADD_ROSPEC")
    for name in (*answered, "ENABLE_ROSPEC"):
        replies.append(f.status_response(f.MessageType[f"{name}_RESPONSE"], 0))
    for frame in replies:
        client.handleMessage(LLRPMessage(msgbytes=frame))
    return sent, client.state


def test_recorded_frames_match_the_emulator_and_sllurp_3_0_5():
    sent, _ = sllurp_offline_session()
    recorded = reader_frames()
    recorded["sllurp_set_reader_config.bin"] = sent[3]
    recorded["sllurp_add_rospec.bin"] = sent[6]
    if os.environ.get("CHRONO_RECORD_LLRP_FIXTURES"):
        for name, data in recorded.items():
            (FIXTURES / name).write_bytes(data)
    for name, data in recorded.items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} changed; see the README"


def test_sllurp_sends_the_documented_sequence_and_ends_inventorying():
    sent, state = sllurp_offline_session()
    names = [f.MessageType(msg_header_decode(frame)[0]).name for frame in sent]
    assert names == [
        "GET_READER_CAPABILITIES",
        "GET_READER_CONFIG",
        "ENABLE_EVENTS_AND_REPORTS",
        "SET_READER_CONFIG",
        "DELETE_ACCESSSPEC",  # reset_on_connect
        "DELETE_ROSPEC",
        "ADD_ROSPEC",
        "ENABLE_ROSPEC",  # start trigger Immediate: no START_ROSPEC
    ]
    assert state == State.STATE_INVENTORYING


def test_sllurp_decodes_every_recorded_reader_frame():
    decoded = {
        path.name: LLRPMessage(msgbytes=path.read_bytes()) for path in FIXTURES.glob("reader_*.bin")
    }
    event = decoded["reader_connection_event.bin"].msgdict["READER_EVENT_NOTIFICATION"]
    assert event["ReaderEventNotificationData"]["UTCTimestamp"]["Microseconds"] == READER_US
    assert decoded["reader_connection_event.bin"].isSuccess()
    found = decoded["reader_capabilities_response.bin"].msgdict["GET_READER_CAPABILITIES_RESPONSE"]
    assert found["GeneralDeviceCapabilities"]["MaxNumberOfAntennaSupported"] == 4
    band = found["RegulatoryCapabilities"]["UHFBandCapabilities"]
    assert LLRPClient.parsePowerTable(band)[-1] == pytest.approx(31.5)  # dBm, sllurp's "max"
    config = decoded["reader_config_response.bin"].msgdict["GET_READER_CONFIG_RESPONSE"]
    assert config["KeepaliveSpec"]["TimeInterval"] == 60_000
    tags = decoded["reader_ro_access_report.bin"].msgdict["RO_ACCESS_REPORT"]["TagReportData"]
    assert [(t["EPC"], t["AntennaID"], t["PeakRSSI"], t["TagSeenCount"]) for t in tags] == [
        (b"000000000000000000000017", 2, -52, 1),
        (b"000000000000000000000018", 1, -47, 4),
    ]
    assert tags[1]["FirstSeenTimestampUTC"] == READER_US + 2_500


def test_emulator_reads_the_recorded_sllurp_commands():
    spec = parse_add_rospec((FIXTURES / "sllurp_add_rospec.bin").read_bytes()[10:])
    assert (spec.antennas, spec.immediate_start, spec.tags_per_aispec) == ({1, 2}, True, 1)
    assert spec.content == SLLURP_CONTENT
    settings = parse_set_reader_config(
        (FIXTURES / "sllurp_set_reader_config.bin").read_bytes()[10:]
    )
    assert settings.keepalive_ms == 60_000
    assert not settings.reset_to_factory
