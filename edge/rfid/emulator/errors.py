"""Errors raised by the LLRP reader emulator."""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class EmulatorError(ChronoEdgeError):
    """The LLRP reader emulator failed."""


class MalformedFrame(EmulatorError):
    """A client sent bytes that are not an LLRP frame; the emulator closed that connection."""


class InvalidScenario(EmulatorError):
    """The scenario settings are inconsistent; check the numbers given to the emulator."""


class CommandRejected(EmulatorError):
    """The emulated reader refused a client's command; the client gets an LLRPStatus why."""

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        super().__init__(message)
