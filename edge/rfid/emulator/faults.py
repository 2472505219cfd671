"""Faults the emulated reader injects, counted in RO_ACCESS_REPORT messages on a connection.

Each one is a way real readers fail a timing box: the link dies (cable, Wi-Fi, power),
the reader hangs with the socket still open (no keepalive, no report, no answer), or a
frame arrives that the client cannot decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.frames import GarbageKind


@dataclass(frozen=True)
class Faults:
    """Misbehaviours to inject, counted in RO_ACCESS_REPORT messages sent on a connection."""

    drop_after_reports: int | None = None  # abort the TCP connection
    silent_after_reports: int | None = None  # hang: no keepalive, report or answer; socket open
    garbage_every_reports: int | None = None  # a garbage frame after every N reports
    garbage_kind: GarbageKind = "unknown-type"
    connections: int = 1  # the faults hit the first N connections; 0: every connection

    def __post_init__(self) -> None:
        counts = (self.drop_after_reports, self.silent_after_reports, self.garbage_every_reports)
        if any(count is not None and count < 1 for count in counts) or self.connections < 0:
            raise InvalidScenario("fault counts must be at least 1 (connections at least 0)")

    def applies_to(self, connection_number: int) -> bool:
        """Tell whether the n-th connection (1 for the first) suffers these faults."""
        return self.connections == 0 or connection_number <= self.connections


class FaultAction(Enum):
    """What the connection must do now."""

    GARBAGE = "send a garbage frame"
    DROP = "drop the connection"
    SILENCE = "go silent"


class FaultPlan:
    """Counts the reports sent on one connection and tells which faults are due."""

    def __init__(self, faults: Faults | None) -> None:
        self._faults = faults
        self.reports_sent = 0

    def after_report(self) -> list[FaultAction]:
        """Count one more report sent; return the faults due now, in order."""
        self.reports_sent += 1
        faults, count = self._faults, self.reports_sent
        if faults is None:
            return []
        due = []
        if faults.garbage_every_reports and count % faults.garbage_every_reports == 0:
            due.append(FaultAction.GARBAGE)
        if faults.drop_after_reports == count:
            due.append(FaultAction.DROP)
        elif faults.silent_after_reports == count:
            due.append(FaultAction.SILENCE)
        return due
