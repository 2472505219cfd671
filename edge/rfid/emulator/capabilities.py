"""What the emulated reader says about itself: capabilities and configuration responses.

sllurp has decoders but no encoders for these parameters (its RegulatoryCapabilities
"encoder" even calls an unpack function), so they are packed here, field by field, in
the order of LLRP 1.0.1 §16.2.3 and §16.2.6. Defaults describe an Impinj Speedway R420
sold for Europe: four ports, ETSI four-channel band, 10.00–31.50 dBm in 0.25 dB steps.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from edge.rfid.emulator.frames import (
    IMPINJ_VENDOR_ID,
    MessageType,
    StatusCode,
    llrp_status,
    message,
    tlv,
)

_GENERAL_HEAD = struct.Struct("!HHIIH")
_LLRP_CAPS = struct.Struct("!BBHIIIII")
_MODE_ENTRY = struct.Struct("!IBBBBIIIII")
_HAS_UTC_CLOCK = 1 << 14
_C1G2_PROTOCOL = 1


@dataclass(frozen=True, slots=True)
class RFMode:
    """One row of the UHF C1G2 RF mode table (LLRP §16.3.1.1.2.1)."""

    mode_id: int
    modulation: int  # 0 FM0, 1 Miller-2, 2 Miller-4, 3 Miller-8
    forward_link: int  # 0 PR-ASK, 1 SSB-ASK, 2 DSB-ASK
    spectral_mask: int  # 1 single, 2 multi, 3 dense interrogator
    bdr_bps: int
    pie_milli: int
    min_tari_ns: int
    max_tari_ns: int


IMPINJ_MODES = (
    RFMode(0, 0, 2, 1, 640_000, 1500, 6250, 6250),  # Max Throughput
    RFMode(1, 1, 2, 2, 160_000, 2000, 12_500, 12_500),  # Hybrid
    RFMode(2, 2, 0, 3, 62_500, 2000, 25_000, 25_000),  # Dense Reader M4
    RFMode(3, 3, 0, 3, 31_250, 2000, 25_000, 25_000),  # Dense Reader M8
    RFMode(1000, 2, 0, 3, 62_500, 2000, 6250, 25_000),  # AutoSet Dense Reader
    RFMode(1002, 2, 0, 3, 62_500, 2000, 6250, 25_000),  # AutoSet Static
)


@dataclass(frozen=True, slots=True)
class ReaderProfile:
    """Identity and radio tables of the emulated reader; defaults: an ETSI Speedway R420."""

    antennas: int = 4
    manufacturer: int = IMPINJ_VENDOR_ID  # IANA enterprise number
    model: int = 2001002
    firmware: str = "5.14.0.240"
    reader_id: bytes = bytes.fromhex("001625fffe0000ce")  # EUI-64 from the Impinj OUI
    country_code: int = 250  # ISO 3166 numeric: France
    communications_standard: int = 2  # ETSI EN 302 208
    frequencies_khz: tuple[int, ...] = (865_700, 866_300, 866_900, 867_500)
    min_power_cdbm: int = 1000
    max_power_cdbm: int = 3150
    power_step_cdbm: int = 25
    antenna_gain_cdbi: int = 600
    modes: tuple[RFMode, ...] = IMPINJ_MODES
    response_latency_s: float = 0.002  # a real reader takes a few ms to answer
    # The greeting leaves this long after its timestamp was taken, as a box starting every
    # process at once handles it late (chaos seed 9): tests of the reader clock offset.
    greeting_delay_s: float = 0.0

    def power_table_cdbm(self) -> list[int]:
        """Return the transmit power table in hundredths of dBm, index 1 first."""
        step = self.power_step_cdbm
        return list(range(self.min_power_cdbm, self.max_power_cdbm + 1, step))


def capabilities_response(msg_id: int, profile: ReaderProfile, requested: int = 0) -> bytes:
    """Return GET_READER_CAPABILITIES_RESPONSE (requested: 0 all, 1 general … 4 air protocol)."""
    sections = {
        1: _general_device_capabilities(profile),
        2: _llrp_capabilities(),
        3: _regulatory_capabilities(profile),
        4: _c1g2_llrp_capabilities(),
    }
    wanted = sections.values() if requested == 0 else [sections.get(requested, b"")]
    body = llrp_status(StatusCode.SUCCESS) + b"".join(wanted)
    return message(MessageType.GET_READER_CAPABILITIES_RESPONSE, msg_id, body)


def reader_config_response(msg_id: int, profile: ReaderProfile, keepalive_ms: int) -> bytes:
    """Return GET_READER_CONFIG_RESPONSE: identification, antennas, keepalive, reports."""
    parts = [
        llrp_status(StatusCode.SUCCESS),
        tlv(218, struct.pack("!BH", 0, len(profile.reader_id)) + profile.reader_id),
    ]
    for antenna in range(1, profile.antennas + 1):
        parts.append(tlv(221, struct.pack("!BHh", 0x80, antenna, profile.antenna_gain_cdbi)))
    parts.append(tlv(220, struct.pack("!BI", 1 if keepalive_ms else 0, keepalive_ms)))
    parts.append(tlv(226, b"\x00"))  # EventsAndReports: do not hold them on reconnect
    return message(MessageType.GET_READER_CONFIG_RESPONSE, msg_id, b"".join(parts))


def _general_device_capabilities(profile: ReaderProfile) -> bytes:
    firmware = profile.firmware.encode()
    head = _GENERAL_HEAD.pack(
        profile.antennas, _HAS_UTC_CLOCK, profile.manufacturer, profile.model, len(firmware)
    )
    parts = [head, firmware, tlv(139, struct.pack("!Hh", 1, 0))]
    for antenna in range(1, profile.antennas + 1):
        parts.append(tlv(140, struct.pack("!HHB", antenna, 1, _C1G2_PROTOCOL)))
    parts.append(tlv(141, struct.pack("!HH", 4, 4)))  # GPIOCapabilities
    return tlv(137, b"".join(parts))


def _llrp_capabilities() -> bytes:
    # Buffer-fill warning, state-aware singulation, event holding; one ROSpec at a time.
    flags = 0b0101_1000
    return tlv(142, _LLRP_CAPS.pack(flags, 1, 0, 1, 32, 1, 1508, 8))


def _regulatory_capabilities(profile: ReaderProfile) -> bytes:
    powers = [
        tlv(145, struct.pack("!Hh", index, value))
        for index, value in enumerate(profile.power_table_cdbm(), start=1)
    ]
    channels = profile.frequencies_khz
    fixed = tlv(148, struct.pack(f"!H{len(channels)}I", len(channels), *channels))
    frequency_information = tlv(146, b"\x00" + fixed)  # not hopping: ETSI fixed channels
    modes = tlv(328, b"".join(_mode_entry(mode) for mode in profile.modes))
    band = tlv(144, b"".join(powers) + frequency_information + modes)
    head = struct.pack("!HH", profile.country_code, profile.communications_standard)
    return tlv(143, head + band)


def _mode_entry(mode: RFMode) -> bytes:
    rc_flags = 0x80  # divide ratio 64/3, not EPC HAG T&C conformant
    step_tari = 0 if mode.min_tari_ns == mode.max_tari_ns else 6250
    body = _MODE_ENTRY.pack(
        mode.mode_id,
        rc_flags,
        mode.modulation,
        mode.forward_link,
        mode.spectral_mask,
        mode.bdr_bps,
        mode.pie_milli,
        mode.min_tari_ns,
        mode.max_tari_ns,
        step_tari,
    )
    return tlv(329, body)


def _c1g2_llrp_capabilities() -> bytes:
    can_block_write = 1 << 6
    return tlv(327, struct.pack("!BH", can_block_write, 2))
