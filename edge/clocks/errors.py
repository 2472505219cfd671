"""Errors of the clock checks."""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class ClockError(ChronoEdgeError):
    """The clock's state could not be read."""


class ChronyUnreadable(ClockError):
    """chronyc answered something this version cannot read: check chrony's version (4.x)."""
