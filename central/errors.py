"""Errors raised by the central server.

They speak the box's error contract (``edge.errors``): each class declares its
HTTP status, and ``edge.web.errors`` renders them for central as for the box.
"""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class CentralError(ChronoEdgeError):
    """Something went wrong on the central server."""


class NotFound(CentralError):
    """The requested item does not exist."""

    http_status = 404


class Invalid(CentralError):
    """The request is invalid; nothing was written."""

    http_status = 422


class Unauthorized(CentralError):
    """Missing or wrong credentials."""

    http_status = 401


class Forbidden(CentralError):
    """These credentials may not do that."""

    http_status = 403


class Conflict(CentralError):
    """The change conflicts with what is stored; nothing was written."""

    http_status = 409


class TunnelRangeExhausted(CentralError):
    """No tunnel address is left in the configured range; widen CHRONO_CENTRAL_TUNNEL_NETWORK."""

    http_status = 503
