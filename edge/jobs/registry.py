"""A set of job kinds and their schedules, declared in one value and handed to the queue.

Nothing registers itself: whoever starts a queue passes the registry it runs
(``edge.jobs.box.box_registry`` for a box). A kind names its handler as
``"module:function"`` so that listing and enqueueing jobs (the web process)
imports none of the code the jobs run; only a worker resolves the handlers.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

from edge.jobs.context import JobContext
from edge.jobs.errors import UnknownKind

Handler = Callable[[JobContext, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Kind:
    """A job kind: its handler (``"module:function"`` or the function), queue and attempts."""

    name: str
    handler: str | Handler
    queue: str = "default"
    max_attempts: int = 5


@dataclass(frozen=True)
class Periodic:
    """A job enqueued every ``every_s`` seconds; never twice while one is pending or running."""

    kind: str
    every_s: float
    payload: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None


@dataclass(frozen=True, eq=False)
class JobRegistry:
    """The job kinds a queue knows and the periodic jobs its workers enqueue."""

    kinds: Mapping[str, Kind]
    periodic: Mapping[str, Periodic]

    @classmethod
    def of(cls, kinds: Iterable[Kind], periodic: Iterable[Periodic] = ()) -> JobRegistry:
        """A registry of ``kinds`` and ``periodic`` schedules (each of a declared kind)."""
        named: dict[str, Kind] = {}
        for kind in kinds:
            if kind.name in named:
                raise ValueError(f"job kind {kind.name!r} is declared twice")
            named[kind.name] = kind
        schedules: dict[str, Periodic] = {}
        for spec in periodic:
            if spec.kind not in named:
                raise ValueError(f"periodic job {spec.kind!r} is not a declared kind")
            if spec.every_s <= 0:
                raise ValueError(f"periodic job {spec.kind!r} needs a positive period")
            schedules[spec.kind] = spec
        return cls(MappingProxyType(named), MappingProxyType(schedules))

    def including(self, other: JobRegistry) -> JobRegistry:
        """This registry and ``other``'s kinds; ``other``'s schedules replace this one's.

        A kind both declare alike is kept once; declared differently, it is an error.
        """
        added = [kind for kind in other.kinds.values() if self.kinds.get(kind.name) != kind]
        return JobRegistry.of(
            [*self.kinds.values(), *added],
            {**self.periodic, **other.periodic}.values(),
        )

    def kind(self, name: str) -> Kind:
        """The kind of that name; UnknownKind (listing the known ones) if there is none."""
        found = self.kinds.get(name)
        if found is None:
            known = ", ".join(sorted(self.kinds)) or "none"
            raise UnknownKind([], f"unknown job kind {name!r} (known: {known})")
        return found

    def names(self) -> list[str]:
        """The kinds' names, sorted."""
        return sorted(self.kinds)

    def queues(self) -> list[str]:
        """The queues the kinds run on, sorted."""
        return sorted({kind.queue for kind in self.kinds.values()})

    def handlers(self) -> dict[str, Handler]:
        """Every kind's handler, imported now (tests: every name resolves)."""
        return {name: resolve_handler(kind.handler) for name, kind in self.kinds.items()}

    def check_modules(self) -> None:
        """Fail if a kind's handler module does not exist, without importing it (a worker's
        start: a typo in a module name fails it at once, a function's at its first job)."""
        for kind in self.kinds.values():
            if isinstance(kind.handler, str):
                module = kind.handler.partition(":")[0]
                if not module or importlib.util.find_spec(module) is None:
                    raise ModuleNotFoundError(f"job {kind.name!r}: no module {module!r}")


def resolve_handler(handler: str | Handler) -> Handler:
    """The function a ``"module:function"`` names (a function is returned as it is)."""
    if not isinstance(handler, str):
        return handler
    found = _resolve(handler)
    if not inspect.iscoroutinefunction(found):
        raise TypeError(f"job handler {handler!r} is not an async function")
    return cast(Handler, found)


def load_registry(target: str) -> JobRegistry:
    """The registry that ``"module:name"`` names (a JobRegistry, or a function returning one)."""
    found = _resolve(target)
    registry = found() if callable(found) else found
    if not isinstance(registry, JobRegistry):
        raise TypeError(f"{target!r} is not a job registry")
    return registry


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    if not module or not name:
        raise ValueError(f"{target!r} is not 'module:name'")
    return getattr(importlib.import_module(module), name)
