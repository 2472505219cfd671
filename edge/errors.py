"""Errors raised by the edge application.

Every error a user can meet derives from :class:`ChronoEdgeError`; its docstring is
the default message. Only ``edge.web`` maps these to HTTP statuses and only
``edge.cli`` maps them to exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ChronoEdgeError(Exception):
    """Something went wrong in ChronoEdge."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (type(self).__doc__ or "error").strip()
        super().__init__(self.message)


class NotFound(ChronoEdgeError):
    """The requested item does not exist."""


class Conflict(ChronoEdgeError):
    """The change conflicts with data already stored; nothing was written."""


class Unauthorized(ChronoEdgeError):
    """Missing or wrong credentials: check the event key in reader.json on both boxes."""


class SequenceGap(Conflict):
    """A sync batch does not start where the receiver expects; resend from ``expected_seq``."""

    def __init__(self, expected_seq: int) -> None:
        self.expected_seq = expected_seq
        super().__init__(f"gap: this box expects seq {expected_seq} next")


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

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(message)

    def __str__(self) -> str:
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)
