"""The operator's word on updates, from /setup (``operator.json``): defer, or force.

Defer holds every update back until a time; Force lets the offered version install
now, through a live race, unsynced data or outside the install window, and says why
(the reason goes to central with the report). The latest word wins: a Force lifts a
deferral, a deferral drops a Force.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.errors import InvalidInput, Problem
from edge.store.files import write_atomic

MAX_DEFER_H = 24 * 14


@dataclass(frozen=True)
class Force:
    """Install ``version`` whatever the live-race, unsynced and window gates say."""

    version: str
    reason: str
    at: str


@dataclass(frozen=True)
class OperatorWord:
    """What the operator said last."""

    deferred_until: str | None = None
    force: Force | None = None

    def deferred(self, now: datetime) -> datetime | None:
        """When the deferral ends, if it still holds at ``now``."""
        if self.deferred_until is None:
            return None
        until = datetime.fromisoformat(self.deferred_until)
        return until if now < until else None

    def forced(self, version: str | None) -> Force | None:
        """The Force for ``version``, if the operator gave one."""
        return self.force if self.force is not None and self.force.version == version else None


def read_word(path: Path) -> OperatorWord:
    """The operator's last word (nothing said: no deferral, no force)."""
    try:
        data = json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return OperatorWord()
    force = data.get("force")
    return OperatorWord(
        deferred_until=data.get("deferred_until"),
        force=Force(**force) if isinstance(force, dict) else None,
    )


def defer(path: Path, hours: float, now: datetime | None = None) -> OperatorWord:
    """Hold updates back for ``hours`` (0: lift the deferral)."""
    if not 0 <= hours <= MAX_DEFER_H:
        raise InvalidInput([Problem("hours", f"from 0 to {MAX_DEFER_H} hours")], "defer")
    now = now or datetime.now(UTC)
    until = (now + timedelta(hours=hours)).isoformat(timespec="seconds") if hours else None
    return write_word(path, OperatorWord(deferred_until=until))


def force(path: Path, version: str, reason: str, now: datetime | None = None) -> OperatorWord:
    """Let ``version`` install now, for ``reason`` (required)."""
    if not reason.strip():
        raise InvalidInput([Problem("reason", "say why the update cannot wait")], "force")
    if not version:
        raise InvalidInput([Problem("version", "no update is offered to force")], "force")
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return write_word(path, OperatorWord(force=Force(version, reason.strip(), at)))


def write_word(path: Path, word: OperatorWord) -> OperatorWord:
    """Write ``operator.json`` atomically; return the word."""
    write_atomic(path, json.dumps(asdict(word), indent=2, sort_keys=True) + "\n")
    return word
