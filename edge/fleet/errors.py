"""What can go wrong joining central's fleet (apart from ``edge.fleet.enrollment``, so that
the pages naming these errors do not load the HTTP client and the key maker)."""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class EnrollmentRefused(ChronoEdgeError):
    """Central refused the enrollment."""

    http_status = 400


class CentralUnreachable(ChronoEdgeError):
    """Central could not be reached; check the URL and the network, then retry."""

    http_status = 502  # a bad gateway: the box is fine, the server behind it is not
