"""LLRP 1.0.1 binary frames the emulated reader sends (big-endian, as on the wire).

sllurp encodes what a client sends; of what a reader sends it can encode the message
header and READER_EVENT_NOTIFICATION, and its table of TV parameter formats tells how
each TV field is packed. Those come from sllurp so both ends agree byte for byte; the
rest (LLRPStatus, responses, keepalives, tag reports) is packed here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from sllurp.llrp import LLRPMessage
from sllurp.llrp_decoder import TVE_PARAM_FORMATS, msg_header_encode

LLRP_VERSION = 1
IMPINJ_VENDOR_ID = 25882
IMPINJ_ENABLE_EXTENSIONS = 21
IMPINJ_ENABLE_EXTENSIONS_RESPONSE = 22

GarbageKind = Literal["unknown-type", "corrupt-report"]
_UNKNOWN_MESSAGE_TYPE = 999  # no LLRP message has this type

_TLV_HEADER = struct.Struct("!HH")
_STATUS_HEAD = struct.Struct("!HH")
_EPC_DATA_HEAD = struct.Struct("!H")
# sllurp's own packing of every TV parameter, by name: {"AntennaID": (1, Struct("!H")), ...}
_TV_FORMATS: dict[str, tuple[int, struct.Struct]] = {
    name: (param_type, fmt) for param_type, (name, fmt) in TVE_PARAM_FORMATS.items()
}


class MessageType(IntEnum):
    """LLRP message types (LLRP 1.0.1 §16)."""

    GET_READER_CAPABILITIES = 1
    GET_READER_CONFIG = 2
    SET_READER_CONFIG = 3
    CLOSE_CONNECTION_RESPONSE = 4
    GET_READER_CAPABILITIES_RESPONSE = 11
    GET_READER_CONFIG_RESPONSE = 12
    SET_READER_CONFIG_RESPONSE = 13
    CLOSE_CONNECTION = 14
    ADD_ROSPEC = 20
    DELETE_ROSPEC = 21
    START_ROSPEC = 22
    STOP_ROSPEC = 23
    ENABLE_ROSPEC = 24
    DISABLE_ROSPEC = 25
    ADD_ROSPEC_RESPONSE = 30
    DELETE_ROSPEC_RESPONSE = 31
    START_ROSPEC_RESPONSE = 32
    STOP_ROSPEC_RESPONSE = 33
    ENABLE_ROSPEC_RESPONSE = 34
    DISABLE_ROSPEC_RESPONSE = 35
    ADD_ACCESSSPEC = 40
    DELETE_ACCESSSPEC = 41
    ENABLE_ACCESSSPEC = 42
    DISABLE_ACCESSSPEC = 43
    ADD_ACCESSSPEC_RESPONSE = 50
    DELETE_ACCESSSPEC_RESPONSE = 51
    ENABLE_ACCESSSPEC_RESPONSE = 52
    DISABLE_ACCESSSPEC_RESPONSE = 53
    RO_ACCESS_REPORT = 61
    KEEPALIVE = 62
    READER_EVENT_NOTIFICATION = 63
    ENABLE_EVENTS_AND_REPORTS = 64
    KEEPALIVE_ACK = 72
    ERROR_MESSAGE = 100
    CUSTOM_MESSAGE = 1023


class StatusCode(IntEnum):
    """LLRPStatus codes the emulator answers with (LLRP 1.0.1 §14.1.1)."""

    SUCCESS = 0
    PARAMETER_ERROR = 100
    FIELD_ERROR = 101
    MISSING_PARAMETER = 103
    UNSUPPORTED_MESSAGE = 109
    UNSUPPORTED_VERSION = 110
    A_INVALID = 300
    A_OUT_OF_RANGE = 301


@dataclass(frozen=True, slots=True)
class ContentSelector:
    """Which optional fields a TagReportData carries (the ROSpec's TagReportContentSelector)."""

    rospec_id: bool = False
    spec_index: bool = False
    inventory_parameter_spec_id: bool = False
    antenna_id: bool = False
    channel_index: bool = False
    peak_rssi: bool = False
    first_seen: bool = False
    last_seen: bool = False
    tag_seen_count: bool = False
    access_spec_id: bool = False
    crc: bool = False
    pc_bits: bool = False


@dataclass(frozen=True, slots=True)
class TagReportEntry:
    """One TagReportData: a tag seen by one antenna, possibly several times."""

    epc: bytes
    antenna_id: int
    peak_rssi_dbm: int
    first_seen_us: int
    last_seen_us: int
    seen_count: int = 1
    rospec_id: int = 1
    channel_index: int = 1


def message(
    msg_type: int, msg_id: int, body: bytes = b"", *, vendor_id: int = 0, subtype: int = 0
) -> bytes:
    """Return a whole LLRP message: sllurp's header encoding followed by the body."""
    header: bytes = msg_header_encode(
        int(msg_type), LLRP_VERSION, len(body), msg_id, vendor_id, subtype
    )
    return header + body


def tlv(param_type: int, body: bytes) -> bytes:
    """Return a TLV parameter: type, total length, then the body."""
    return _TLV_HEADER.pack(param_type, _TLV_HEADER.size + len(body)) + body


def tv(name: str, value: int | bytes) -> bytes:
    """Return a TV parameter packed the way sllurp's decoder reads it."""
    param_type, fmt = _TV_FORMATS[name]
    return bytes((0x80 | param_type,)) + fmt.pack(value)


def llrp_status(code: StatusCode, description: str = "") -> bytes:
    """Return an LLRPStatus parameter."""
    text = description.encode()
    return tlv(287, _STATUS_HEAD.pack(int(code), len(text)) + text)


def status_response(
    msg_type: MessageType, msg_id: int, code: StatusCode = StatusCode.SUCCESS, description: str = ""
) -> bytes:
    """Return a response made of an LLRPStatus only (ADD_ROSPEC_RESPONSE and the like)."""
    return message(msg_type, msg_id, llrp_status(code, description))


def error_message(msg_id: int, code: StatusCode, description: str) -> bytes:
    """Return the ERROR_MESSAGE a reader sends for a message it cannot handle."""
    return status_response(MessageType.ERROR_MESSAGE, msg_id, code, description)


def keepalive(msg_id: int) -> bytes:
    """Return a KEEPALIVE (the client must answer KEEPALIVE_ACK)."""
    return message(MessageType.KEEPALIVE, msg_id)


def impinj_extensions_response(msg_id: int) -> bytes:
    """Return the Impinj IMPINJ_ENABLE_EXTENSIONS_RESPONSE (a custom message) with success."""
    return message(
        MessageType.CUSTOM_MESSAGE,
        msg_id,
        llrp_status(StatusCode.SUCCESS),
        vendor_id=IMPINJ_VENDOR_ID,
        subtype=IMPINJ_ENABLE_EXTENSIONS_RESPONSE,
    )


def connection_event(msg_id: int, reader_us: int) -> bytes:
    """Return the READER_EVENT_NOTIFICATION a reader sends on accepting a connection."""
    data = {
        "UTCTimestamp": {"Microseconds": reader_us},
        "ConnectionAttemptEvent": {"Status": "Success"},
    }
    return _sllurp_encoded(
        {"READER_EVENT_NOTIFICATION": {"ID": msg_id, "ReaderEventNotificationData": data}}
    )


def connection_close_event(msg_id: int, reader_us: int) -> bytes:
    """Return the READER_EVENT_NOTIFICATION a reader sends before it closes a connection."""
    data = {"UTCTimestamp": {"Microseconds": reader_us}, "ConnectionCloseEvent": {}}
    return _sllurp_encoded(
        {"READER_EVENT_NOTIFICATION": {"ID": msg_id, "ReaderEventNotificationData": data}}
    )


def tag_report_data(entry: TagReportEntry, content: ContentSelector) -> bytes:
    """Return a TagReportData parameter with the fields the content selector asks for."""
    parts = [_epc(entry.epc)]
    if content.rospec_id:
        parts.append(tv("ROSpecID", entry.rospec_id))
    if content.spec_index:
        parts.append(tv("SpecIndex", 1))
    if content.inventory_parameter_spec_id:
        parts.append(tv("InventoryParameterSpecID", 1))
    if content.antenna_id:
        parts.append(tv("AntennaID", entry.antenna_id))
    if content.peak_rssi:
        parts.append(tv("PeakRSSI", max(-128, min(127, entry.peak_rssi_dbm))))
    if content.channel_index:
        parts.append(tv("ChannelIndex", entry.channel_index))
    if content.first_seen:
        parts.append(tv("FirstSeenTimestampUTC", entry.first_seen_us))
    if content.last_seen:
        parts.append(tv("LastSeenTimestampUTC", entry.last_seen_us))
    if content.tag_seen_count:
        parts.append(tv("TagSeenCount", min(entry.seen_count, 0xFFFF)))
    pc_word = (len(entry.epc) // 2) << 11  # EPC length in 16-bit words, bits 15..11
    if content.pc_bits:
        parts.append(tv("C1G2PC", pc_word))
    if content.crc:
        parts.append(tv("C1G2CRC", gen2_crc16(pc_word.to_bytes(2, "big") + entry.epc)))
    if content.access_spec_id:
        parts.append(tv("AccessSpecID", 0))
    return tlv(240, b"".join(parts))


def ro_access_report(
    msg_id: int, entries: Iterable[TagReportEntry], content: ContentSelector
) -> bytes:
    """Return an RO_ACCESS_REPORT carrying one TagReportData per entry."""
    body = b"".join(tag_report_data(entry, content) for entry in entries)
    return message(MessageType.RO_ACCESS_REPORT, msg_id, body)


def garbage_frame(kind: GarbageKind, msg_id: int) -> bytes:
    """Return a frame no sane reader sends: an unknown message type, or a tag report cut short."""
    if kind == "corrupt-report":
        # A well-framed report whose last TV field (AntennaID) lost its second byte.
        cut = tv("EPC-96", b"\xde\xad" * 6) + bytes((0x81, 0x00))
        return message(MessageType.RO_ACCESS_REPORT, msg_id, tlv(240, cut))
    return message(_UNKNOWN_MESSAGE_TYPE, msg_id, b"\xde\xad\xbe\xef" * 4)


def gen2_crc16(data: bytes) -> int:
    """Return the EPC Gen2 CRC-16 (ISO/IEC 13239: poly 0x1021, preset 0xFFFF, inverted)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc ^ 0xFFFF


def _epc(epc: bytes) -> bytes:
    # A 96-bit EPC has a compact TV form; any other length needs the EPCData TLV.
    if len(epc) == 12:
        return tv("EPC-96", epc)
    return tlv(241, _EPC_DATA_HEAD.pack(len(epc) * 8) + epc)


def _sllurp_encoded(msgdict: dict[str, Any]) -> bytes:
    encoded: bytes = LLRPMessage(msgdict=msgdict).msgbytes
    return encoded
