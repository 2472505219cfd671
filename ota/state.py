"""The installer's state file (``state.json``) and the worker's request (``request.json``).

``state.json`` is written by the installer only (root), atomically, before each step
starts: after a kill or a power cut it names the step to redo, and every step can be
redone. A finished attempt stays in it (its outcome is the box's "last attempt")
until the next one starts. ``request.json`` is the worker's: what to install next.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from edge.store.files import write_atomic
from ota.errors import OtaError

SCHEMA = 1


class Step(StrEnum):
    """Where an install is: the next thing to (re)do, or how it ended."""

    VERIFY = "verify"  # check the bundle again (manifest, target, every hash, version)
    UNPACK = "unpack"  # unpack, venv, pip install --no-index into releases/<v>.partial
    MIGRATE = "migrate"  # the new release's expand-only migrations (gates checked first)
    SWITCH = "switch"  # previous -> the old release, current -> the new one
    RESTART = "restart"  # restart the units on the new release
    GATE = "gate"  # wait for the new release's health within the deadline
    ROLLBACK = "rollback"  # back to the old release, restart, wait for its health
    HEALTHY = "healthy"  # done: the new release runs and passed its gate
    ROLLED_BACK = "rolled_back"  # done: the new release failed, the old one runs again
    REFUSED = "refused"  # done: nothing installed (bad bundle, wrong target, older version)
    DEFERRED = "deferred"  # done for now: a gate held it back; the worker asks again later
    FAILED = "failed"  # done: the install failed before the switch (the old release runs on),
    # or the return to the old release failed too (the box needs a hand): the error says which

    @property
    def final(self) -> bool:
        """Whether the attempt is over."""
        return self in FINAL

    @property
    def switched(self) -> bool:
        """Whether ``current`` may already point to the new release."""
        return self in (Step.RESTART, Step.GATE)


FINAL = frozenset({Step.HEALTHY, Step.ROLLED_BACK, Step.REFUSED, Step.DEFERRED, Step.FAILED})
REPORTED_AS = {
    Step.VERIFY: "installing",
    Step.UNPACK: "installing",
    Step.MIGRATE: "installing",
    Step.SWITCH: "installing",
    Step.RESTART: "installed",
    Step.GATE: "installed",
    Step.ROLLBACK: "installed",
    Step.HEALTHY: "healthy",
    Step.ROLLED_BACK: "rolled_back",
    Step.REFUSED: "refused",
    Step.DEFERRED: "deferred",
    Step.FAILED: "failed",
}
"""The Mender-like state central hears for each step (POST /api/v1/ota/report)."""


@dataclass(frozen=True)
class Request:
    """What the worker asks the installer to install (``request.json``)."""

    id: str  # unique per request: the installer takes each one once
    version: str
    bundle: str  # the verified bundle in the downloads folder
    target: str
    rollout: str | None = None
    force_reason: str | None = None  # an operator's Force: live race, unsynced, window bypassed
    requested_at: str = ""

    def to_json(self) -> bytes:
        """The request as JSON."""
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Request:
        """Parse ``request.json``."""
        data = _object(raw, "request.json")
        try:
            return cls(**{k: data[k] for k in data if k in cls.__dataclass_fields__})
        except TypeError as error:
            raise OtaError(f"request.json: {error}") from None


@dataclass(frozen=True)
class Attempt:
    """One install, as ``state.json`` holds it."""

    request: Request
    step: Step
    from_version: str | None  # what current pointed to when the attempt started
    from_previous: str | None  # what previous pointed to then (restored by a rollback)
    started_at: str
    before: dict[str, bool] = field(default_factory=dict)  # reader running/connected
    restarted_us: int | None = None  # when the units were restarted on the new release
    finished_at: str | None = None
    error: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)  # step, at, note

    def to(self, step: Step, note: str = "", **changes: Any) -> Attempt:
        """This attempt at ``step`` (finished now when ``step`` is final)."""
        entry = {"step": step.value, "at": now_iso()}
        if note:
            entry["note"] = note
        if step.final:
            changes.setdefault("finished_at", now_iso())
        return replace(self, step=step, history=[*self.history, entry], **changes)

    def to_json(self) -> bytes:
        """The attempt as ``state.json``."""
        data = asdict(self)
        data["schema"] = SCHEMA
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Attempt:
        """Parse ``state.json``."""
        data = _object(raw, "state.json")
        if data.get("schema") != SCHEMA:
            raise OtaError(f"state.json: schema {data.get('schema')!r}, this installer reads 1")
        try:
            return cls(
                request=Request(**data["request"]),
                step=Step(data["step"]),
                from_version=data["from_version"],
                from_previous=data["from_previous"],
                started_at=data["started_at"],
                before=dict(data.get("before") or {}),
                restarted_us=data.get("restarted_us"),
                finished_at=data.get("finished_at"),
                error=data.get("error"),
                history=list(data.get("history") or []),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise OtaError(f"state.json: missing or malformed field {error}") from None


def read_attempt(path: Path) -> Attempt | None:
    """The attempt in ``state.json`` (None: no install ever started)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return Attempt.from_json(raw)


def write_attempt(path: Path, attempt: Attempt) -> Attempt:
    """Write ``state.json`` atomically and durably; return the attempt."""
    write_atomic(path, attempt.to_json())
    return attempt


def read_request(path: Path) -> Request | None:
    """The pending request (None: nothing asked)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return Request.from_json(raw)


def now_iso() -> str:
    """Now, UTC, ISO 8601 to the second (what reports and state files carry)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OtaError(f"{name}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise OtaError(f"{name}: not a JSON object")
    return data
