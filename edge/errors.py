"""Errors raised by the edge application.

Every error a user can meet derives from :class:`ChronoEdgeError`; its docstring is
the default message. Each class declares its HTTP kind (``http_status``, inherited
by subclasses) and the fields its JSON body carries besides ``error`` and
``detail`` (:meth:`ChronoEdgeError.extra`, :meth:`ChronoEdgeError.headers`);
``edge.web.errors`` renders them, for the box and for central alike, and only
``edge.cli`` maps them to exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


class ChronoEdgeError(Exception):
    """Something went wrong in ChronoEdge."""

    http_status: ClassVar[int] = 500
    """The HTTP status of this kind of error; a subclass keeps its parent's unless it says."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (type(self).__doc__ or "error").strip()
        super().__init__(self.message)

    def extra(self) -> dict[str, Any]:
        """Fields of the JSON error body besides ``error`` and ``detail`` (none by default)."""
        return {}

    def headers(self) -> dict[str, str]:
        """HTTP headers of the error response (none by default)."""
        return {}


class NotFound(ChronoEdgeError):
    """The requested item does not exist."""

    http_status = 404


class Conflict(ChronoEdgeError):
    """The change conflicts with data already stored; nothing was written."""

    http_status = 409


class Unauthorized(ChronoEdgeError):
    """Missing or wrong credentials: check the event key in reader.json on both boxes."""

    http_status = 401


class TooLarge(ChronoEdgeError):
    """The request is larger than this box accepts; nothing was read further or stored.

    Send a smaller file or batch (split it), or raise the limit the message names.
    """

    http_status = 413


class Busy(ChronoEdgeError):
    """Too many live streams are open; close a screen or retry later."""

    http_status = 503

    def __init__(self, message: str | None = None, retry_after_s: int = 5) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        """``Retry-After``: when a slot is likely to be free again; the connection is closed,
        so a refused client holds no descriptor of the box meanwhile."""
        return {"Retry-After": str(self.retry_after_s), "Connection": "close"}


class DiskFull(ChronoEdgeError):
    """The disk is full: nothing can be saved until space is freed on it; retry then."""

    http_status = 503

    def __init__(self, message: str | None = None, retry_after_s: int = 30) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        """``Retry-After``: worth trying again once someone had time to free space."""
        return {"Retry-After": str(self.retry_after_s)}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file: where it is and why."""

    where: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        at = f"line {self.line}: " if self.line is not None else ""
        loc = f"{self.where}: " if self.where else ""
        return f"{at}{loc}{self.reason}"


class InvalidInput(ChronoEdgeError):
    """The input is invalid; nothing was written. Fix the listed problems and retry."""

    http_status = 422

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(message)

    def extra(self) -> dict[str, Any]:
        """Every problem, so a form or a script can point at each one."""
        problems = [{"line": p.line, "where": p.where, "reason": p.reason} for p in self.problems]
        return {"problems": problems}

    def __str__(self) -> str:
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


class ReasonRequired(ChronoEdgeError):
    """These results are official (signed off): give a reason to change them.

    With a reason the change is made and the race's results re-open as a new
    provisional version, which records that reason; nothing was changed without one.
    """

    http_status = 400
