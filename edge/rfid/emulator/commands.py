"""What a client sends to the reader: the TCP stream cut into frames, ROSpecs and settings read.

Bodies are decoded with sllurp's own parameter decoders (the client is sllurp, so both
sides read the same bytes the same way) and turned into small typed records here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from sllurp.llrp_decoder import msg_header_decode
from sllurp.llrp_proto import LLRPError, decode_generic_message

from edge.rfid.emulator.errors import CommandRejected, MalformedFrame
from edge.rfid.emulator.frames import ContentSelector, MessageType, StatusCode

MAX_FRAME_BYTES = 1 << 20  # no client message comes near a megabyte
_HEADER_BYTES = 10
_CUSTOM_HEADER_BYTES = 15
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_DECODE_ERRORS = (LLRPError, struct.error, KeyError, IndexError, ValueError, TypeError)
_AISPEC_STOP_DURATION = 1
_AISPEC_STOP_TAG_OBSERVATION = 3
_IMMEDIATE_START = 1


@dataclass(frozen=True, slots=True)
class Frame:
    """One LLRP message as received: header fields and the raw body."""

    msg_type: int
    version: int
    msg_id: int
    body: bytes
    vendor_id: int = 0
    subtype: int = 0


class FrameSplitter:
    """Cut a TCP byte stream into LLRP frames, however the bytes were segmented."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every frame now complete (raise MalformedFrame on junk)."""
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= _HEADER_BYTES:
            length = _U32.unpack_from(self._buffer, 2)[0]
            msg_type = _U16.unpack_from(self._buffer, 0)[0] & 0x3FF
            is_custom = msg_type == MessageType.CUSTOM_MESSAGE
            smallest = _CUSTOM_HEADER_BYTES if is_custom else _HEADER_BYTES
            if not smallest <= length <= MAX_FRAME_BYTES:
                raise MalformedFrame(f"an LLRP frame cannot be {length} bytes long")
            if len(self._buffer) < length:
                break
            raw = bytes(self._buffer[:length])
            del self._buffer[:length]
            msg_type, vendor_id, subtype, version, header_len, _, msg_id = msg_header_decode(raw)
            frames.append(Frame(msg_type, version, msg_id, raw[header_len:], vendor_id, subtype))
        return frames


@dataclass(frozen=True, slots=True)
class InventorySpec:
    """What an ROSpec asks the reader to do, reduced to what the emulator acts on."""

    rospec_id: int
    antennas: frozenset[int]  # empty: every antenna
    immediate_start: bool  # else the client sends START_ROSPEC
    duration_ms: int  # the ROSpec stops after this long; 0: runs until stopped
    report_trigger: str  # sllurp's name of the ROReportTrigger
    tags_per_report: int  # ROReportSpec N; 0: no limit
    tags_per_aispec: int  # TagObservationTrigger UponNTags; 0: none
    aispec_ms: int  # the AISpec ends (and may report) after this long; 0: never
    content: ContentSelector

    @property
    def report_period_ms(self) -> int:
        """Return the period of a time-based report trigger, 0 if the trigger counts tags."""
        if self.report_trigger.startswith("Upon_N_Milliseconds"):
            return self.tags_per_report
        if self.report_trigger.startswith("Upon_N_Seconds"):
            return self.tags_per_report * 1000
        return 0

    def never_reports(self) -> bool:
        """Tell whether no report would ever be sent before the ROSpec ends (a client mistake)."""
        if self.report_trigger == "None":
            return True
        if self.report_period_ms:
            return False
        aispec_ends = self.report_trigger.endswith("AISpec") and (
            self.tags_per_aispec or self.aispec_ms
        )
        return not (self.tags_per_report or aispec_ends or self.duration_ms)


def parse_add_rospec(body: bytes) -> InventorySpec:
    """Read the ROSpec of an ADD_ROSPEC body (raise CommandRejected if it is unusable)."""
    try:
        rospec: dict[str, Any] = decode_generic_message(body, "ADD_ROSPEC")["ROSpec"]
        boundary = rospec["ROBoundarySpec"]
        stop = boundary["ROSpecStopTrigger"]
        aispec = rospec["AISpec"][0]
        ai_stop = aispec.get("AISpecStopTrigger", {})
        observation = ai_stop.get("TagObservationTrigger", {})
        report = rospec.get("ROReportSpec", {"ROReportTrigger": "None", "N": 0})
        selector = report.get("TagReportContentSelector", {})
        memory = selector.get("C1G2EPCMemorySelector", {})
        ai_type = ai_stop.get("AISpecStopTriggerType", 0)
        ai_duration = ai_stop.get("DurationTriggerValue", 0)
        upon_n_tags = observation.get("TriggerType") == "UponNTags"
        return InventorySpec(
            rospec_id=int(rospec["ROSpecID"]),
            antennas=frozenset(a for a in aispec["AntennaID"] if a != 0),
            immediate_start=boundary["ROSpecStartTrigger"]["ROSpecStartTriggerType"]
            == _IMMEDIATE_START,
            duration_ms=int(stop["DurationTriggerValue"])
            if stop["ROSpecStopTriggerType"] == "Duration"
            else 0,
            report_trigger=str(report["ROReportTrigger"]),
            tags_per_report=int(report["N"]),
            tags_per_aispec=int(observation.get("NumberOfTags", 0))
            if ai_type == _AISPEC_STOP_TAG_OBSERVATION and upon_n_tags
            else 0,
            aispec_ms=int(ai_duration)
            if ai_type == _AISPEC_STOP_DURATION
            else int(observation.get("Timeout", 0)),
            content=ContentSelector(
                rospec_id=bool(selector.get("EnableROSpecID")),
                spec_index=bool(selector.get("EnableSpecIndex")),
                inventory_parameter_spec_id=bool(selector.get("EnableInventoryParameterSpecID")),
                antenna_id=bool(selector.get("EnableAntennaID")),
                channel_index=bool(selector.get("EnableChannelIndex")),
                peak_rssi=bool(selector.get("EnablePeakRSSI")),
                first_seen=bool(selector.get("EnableFirstSeenTimestamp")),
                last_seen=bool(selector.get("EnableLastSeenTimestamp")),
                tag_seen_count=bool(selector.get("EnableTagSeenCount")),
                access_spec_id=bool(selector.get("EnableAccessSpecID")),
                crc=bool(memory.get("EnableCRC")),
                pc_bits=bool(memory.get("EnablePCBits")),
            ),
        )
    except _DECODE_ERRORS as err:
        raise CommandRejected(StatusCode.PARAMETER_ERROR, f"unusable ROSpec: {err!r}") from err


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    """What a SET_READER_CONFIG changes that the emulator acts on."""

    reset_to_factory: bool
    keepalive_ms: int | None  # None: keep the current setting; 0: no keepalives


def parse_set_reader_config(body: bytes) -> ReaderSettings:
    """Read a SET_READER_CONFIG body (raise CommandRejected if it cannot be decoded)."""
    if not body:
        raise CommandRejected(StatusCode.MISSING_PARAMETER, "SET_READER_CONFIG has no body")
    try:
        params: dict[str, Any] = decode_generic_message(body[1:], "SET_READER_CONFIG")
    except _DECODE_ERRORS as err:
        raise CommandRejected(StatusCode.PARAMETER_ERROR, f"bad parameter: {err!r}") from err
    keepalive_ms: int | None = None
    spec = params.get("KeepaliveSpec")
    if spec is not None:
        periodic = spec.get("KeepaliveTriggerType") == "Immediate"
        keepalive_ms = int(spec.get("TimeInterval", 0)) if periodic else 0
    return ReaderSettings(reset_to_factory=bool(body[0] & 0x80), keepalive_ms=keepalive_ms)


def leading_id(body: bytes, offset: int = 0) -> int:
    """Return the 32-bit ROSpecID or AccessSpecID at offset of a body (CommandRejected if short)."""
    if len(body) < offset + _U32.size:
        raise CommandRejected(StatusCode.MISSING_PARAMETER, "the message lacks its spec ID")
    spec_id: int = _U32.unpack_from(body, offset)[0]
    return spec_id
