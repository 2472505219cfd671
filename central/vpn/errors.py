"""Errors of central's WireGuard hub."""

from __future__ import annotations

from central.errors import CentralError


class HubFailed(CentralError):
    """The WireGuard hub interface could not be set up or changed."""
