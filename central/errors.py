"""Errors raised by the central server; only ``central.web`` maps them to HTTP statuses."""

from __future__ import annotations


class CentralError(Exception):
    """Something went wrong on the central server."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (type(self).__doc__ or "error").strip()
        super().__init__(self.message)


class NotFound(CentralError):
    """The requested item does not exist."""


class Invalid(CentralError):
    """The request is invalid; nothing was written."""


class Unauthorized(CentralError):
    """Missing or wrong credentials."""


class Forbidden(CentralError):
    """These credentials may not do that."""


class Conflict(CentralError):
    """The change conflicts with what is stored; nothing was written."""


class TunnelRangeExhausted(CentralError):
    """No tunnel address is left in the configured range; widen CHRONO_CENTRAL_TUNNEL_NETWORK."""
