"""What a page action did, as a notice the template translates and shows in ``#notice``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge.auth.errors import AlreadyClaimed, TooManyAttempts, WrongPassword, WrongPin
from edge.errors import ChronoEdgeError, InvalidInput
from edge.fleet.errors import CentralUnreachable, EnrollmentRefused


@dataclass(frozen=True)
class Notice:
    """An English sentence with ``{values}`` (translated by the page), plus raw details."""

    kind: str  # "ok" or "error"
    text: str
    values: dict[str, Any] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def done(text: str, **values: Any) -> Notice:
    """A notice of success."""
    return Notice("ok", text, values)


def failed(error: ChronoEdgeError) -> Notice:
    """The notice of a refused action: what went wrong, and that nothing changed."""
    status, headers = error.http_status, error.headers()  # the error's own HTTP kind
    if isinstance(error, TooManyAttempts):
        seconds = {"seconds": error.retry_after_s}
        text = "Too many failed attempts: try again in {seconds} s."
        return Notice("error", text, seconds, status=status, headers=headers)
    if isinstance(error, WrongPin):
        return Notice("error", "Wrong setup PIN.", details=[error.message], status=status)
    if isinstance(error, WrongPassword):
        return Notice("error", "Wrong password.", status=status)
    if isinstance(error, AlreadyClaimed):
        return Notice("error", "This box is already claimed: log in.", status=status)
    if isinstance(error, EnrollmentRefused | CentralUnreachable):
        text = "Enrollment failed; nothing was changed."
        return Notice("error", text, {}, [error.message], status)
    details = [str(p) for p in error.problems] if isinstance(error, InvalidInput) else []
    return Notice("error", "Nothing was changed.", {}, [error.message, *details], status, headers)
