"""Errors of the LLRP reader connection, translated from sllurp's and the socket's own.

sllurp raises ``OSError`` from its socket, ``LLRPError`` while decoding and
``ReaderConfigurationError`` when the reader refuses a command; nothing above
``edge.rfid.client`` sees those: it sees one of the classes below.
"""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class RfidError(ChronoEdgeError):
    """The RFID reader failed; the box reconnects to it by itself."""


class ReaderUnreachable(RfidError):
    """The reader cannot be reached: check its power, its cable and its address in reader.json."""


class ReaderRejected(RfidError):
    """The reader refused the inventory settings: check the antennas and power in reader.json."""


class ReaderLost(RfidError):
    """The connection to the reader was lost; the box reconnects."""


class ReaderSilent(RfidError):
    """The reader stopped talking (no keepalive, no report); the box reconnects."""
