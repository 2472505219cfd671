"""An emulated Impinj LLRP reader: an asyncio TCP server speaking LLRP 1.0.1 binary.

sllurp ships no simulator; this one lets sllurp's real client (and ours on top of it)
run a whole inventory over TCP. What sllurp 3.0.5's ``LLRPReaderClient`` does, and what
the emulator answers (``→`` client to reader, ``←`` reader to client):

1. TCP connect; ← READER_EVENT_NOTIFICATION (ConnectionAttemptEvent Success, UTCTimestamp
   on the reader's clock). sllurp waits for it before anything else.
2. Only if Impinj options are set: → IMPINJ_ENABLE_EXTENSIONS ← its response (Success).
3. → GET_READER_CAPABILITIES (All) ← GeneralDeviceCapabilities, LLRPCapabilities,
   RegulatoryCapabilities (UHF band, power table, RF mode table), C1G2LLRPCapabilities.
4. → GET_READER_CONFIG ← Identification, AntennaProperties, KeepaliveSpec, EventsAndReports.
5. → ENABLE_EVENTS_AND_REPORTS (no response) and → SET_READER_CONFIG (KeepaliveSpec,
   event switches) ← SET_READER_CONFIG_RESPONSE; keepalives start: ← KEEPALIVE,
   → KEEPALIVE_ACK.
6. reset_on_connect: → DELETE_ACCESSSPEC 0 ← response, → DELETE_ROSPEC 0 ← response.
7. → ADD_ROSPEC (start trigger Immediate) ← response, → ENABLE_ROSPEC ← response; the
   ROSpec goes Active at once (sllurp never sends START_ROSPEC) and ← RO_ACCESS_REPORTs
   flow, shaped by the ROSpec's report triggers and TagReportContentSelector.
8. ``disconnect()``: → DELETE_ACCESSSPEC 0, → DELETE_ROSPEC 0, then sllurp closes the
   socket (it never sends CLOSE_CONNECTION; the emulator answers it if sent).

Anything else gets an ERROR_MESSAGE (M_UnsupportedMessage). Every status code sllurp
checks is "Success" on this path.
"""

from __future__ import annotations

from edge.rfid.emulator.capabilities import ReaderProfile
from edge.rfid.emulator.cli import main
from edge.rfid.emulator.crossings import Crossing, CrossingScenario
from edge.rfid.emulator.faults import Faults
from edge.rfid.emulator.laps import LapsScenario
from edge.rfid.emulator.race import RaceScenario
from edge.rfid.emulator.relay import RelayScenario, relay_bib
from edge.rfid.emulator.scenarios import (
    BurstScenario,
    Scenario,
    ScriptedScenario,
    TagRead,
    epc_for_bib,
)
from edge.rfid.emulator.server import BackgroundEmulator, EmulatorServer, serve_emulator
from edge.rfid.emulator.session import EmulatorStats
from edge.rfid.emulator.timeline import ReaderClock, offset_for_year
from edge.rfid.emulator.triathlon import TriathlonScenario

__all__ = [
    "BackgroundEmulator",
    "BurstScenario",
    "Crossing",
    "CrossingScenario",
    "EmulatorServer",
    "EmulatorStats",
    "Faults",
    "LapsScenario",
    "RaceScenario",
    "ReaderClock",
    "ReaderProfile",
    "RelayScenario",
    "Scenario",
    "ScriptedScenario",
    "TagRead",
    "TriathlonScenario",
    "epc_for_bib",
    "main",
    "offset_for_year",
    "relay_bib",
    "serve_emulator",
]
