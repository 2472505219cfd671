"""Job kinds and periodic jobs, declared in code with decorators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from edge.jobs.context import JobContext

Handler = Callable[[JobContext, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Kind:
    """A registered job kind."""

    name: str
    handler: Handler
    queue: str = "default"
    max_attempts: int = 5


@dataclass(frozen=True)
class Periodic:
    """A job enqueued every ``every_s`` seconds; never twice while one is pending or running."""

    kind: str
    every_s: float
    payload: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None


KINDS: dict[str, Kind] = {}
PERIODIC: dict[str, Periodic] = {}


def job_kind(
    name: str, *, queue: str = "default", max_attempts: int = 5
) -> Callable[[Handler], Handler]:
    """Register an async handler ``(ctx, payload) -> result`` under ``name``."""

    def register(handler: Handler) -> Handler:
        KINDS[name] = Kind(name, handler, queue, max_attempts)
        return handler

    return register


def periodic(kind: str, every_s: float, payload: dict[str, Any] | None = None) -> None:
    """Declare that ``kind`` runs every ``every_s`` seconds."""
    if every_s <= 0:
        raise ValueError("a periodic job needs a positive period")
    PERIODIC[kind] = Periodic(kind, every_s, payload or {})
