"""Errors of a sender pushing its outbox (to the MASTER or to central).

httpx's own exceptions and the receiver's refusals are translated into these
at the boundary (``edge.sync.forwarder``); nothing above sees httpx. Whatever
the error, the changes stay in the outbox and the next push sends them again.
"""

from __future__ import annotations

from edge.errors import ChronoEdgeError


class SyncError(ChronoEdgeError):
    """Pushing the outbox failed; the changes stay in the outbox and are sent again."""


class SyncUnreachable(SyncError):
    """The receiver cannot be reached: check the network and its URL in reader.json."""


class SyncRejected(SyncError):
    """The receiver refused the batch: read its reason, fix the configuration, it is retried."""

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class OutboxDiverged(SyncRejected):
    """The receiver holds more of this box's changes than its outbox has ever had.

    The database was replaced (a new SD card, a restore) while the box kept its
    device id: sending would silently lose changes, so nothing is sent. Give
    the box a new device id (re-enroll, or a new one in reader.json).
    """


class SyncNotConfigured(ChronoEdgeError):
    """This box has nowhere to push to: check its role and links in reader.json."""
