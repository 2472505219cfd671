"""Errors of the WireGuard tools."""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class VpnError(ChronoEdgeError):
    """WireGuard failed."""


class ToolMissing(VpnError):
    """A WireGuard tool is not installed (apt install wireguard-tools)."""


class ToolFailed(VpnError):
    """A WireGuard tool exited with an error."""
