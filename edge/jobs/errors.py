"""Errors of the job queue."""

from __future__ import annotations

from edge.errors import ChronoEdgeError, Conflict, InvalidInput, NotFound


class JobError(ChronoEdgeError):
    """The job queue failed."""


class UnknownKind(InvalidInput):
    """No job kind of that name is registered."""


class UnknownState(InvalidInput):
    """No job state of that name: see ``chrono-edge jobs stats`` for the states."""


class JobNotFound(NotFound):
    """No job with that id."""


class JobStateConflict(Conflict):
    """The job is not in a state that allows this."""
