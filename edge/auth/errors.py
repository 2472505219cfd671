"""Errors of claiming the box and logging in."""

from __future__ import annotations

from edge.errors import ChronoEdgeError, Conflict


class AuthError(ChronoEdgeError):
    """Not allowed: log in on /login first."""

    http_status = 401


class WrongPin(AuthError):
    """Wrong setup PIN: read it again from setup-pin.txt or from the console of the box."""


class WrongPassword(AuthError):
    """Wrong password."""


class TooManyAttempts(AuthError):
    """Too many failed attempts from this address: wait, then try again."""

    http_status = 429

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed attempts: try again in {retry_after_s} s")

    def headers(self) -> dict[str, str]:
        """When the client may try again."""
        return {"Retry-After": str(self.retry_after_s)}


class AlreadyClaimed(Conflict):
    """This box is already claimed: log in with its admin password instead."""


class NotClaimed(Conflict):
    """This box is not claimed yet: set its admin password on /setup with the setup PIN."""
