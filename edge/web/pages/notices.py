"""What a page action did, as a notice the template translates and shows in ``#notice``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edge.auth.errors import AlreadyClaimed, TooManyAttempts, WrongPassword, WrongPin
from edge.errors import ChronoEdgeError, InvalidInput
from edge.fleet.enrollment import CentralUnreachable, EnrollmentRefused
from edge.web.errors import status_of


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
    if isinstance(error, TooManyAttempts):
        return Notice(
            "error",
            "Too many failed attempts: try again in {seconds} s.",
            {"seconds": error.retry_after_s},
            status=429,
            headers={"Retry-After": str(error.retry_after_s)},
        )
    if isinstance(error, WrongPin):
        return Notice("error", "Wrong setup PIN.", details=[error.message], status=401)
    if isinstance(error, WrongPassword):
        return Notice("error", "Wrong password.", status=401)
    if isinstance(error, AlreadyClaimed):
        return Notice("error", "This box is already claimed: log in.", status=409)
    if isinstance(error, EnrollmentRefused | CentralUnreachable):
        status = 400 if isinstance(error, EnrollmentRefused) else 502
        return Notice(
            "error", "Enrollment failed; nothing was changed.", {}, [error.message], status
        )
    details = [str(p) for p in error.problems] if isinstance(error, InvalidInput) else []
    return Notice("error", "Nothing was changed.", {}, [error.message, *details], status_of(error))
