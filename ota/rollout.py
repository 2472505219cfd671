"""Rollouts: which boxes a release is offered to, and each channel's ``rollouts.json``.

A box is in a rollout when a stable hash of its device id and the version falls under
the percentage (``in_rollout``), so raising the percentage only ever adds boxes, and
each release picks its own first boxes. A rollout is ``active`` (offered to the boxes
it selects), ``paused`` or ``aborted`` (offered to none) or ``done`` (raised to 100 %:
the channel's release, offered to every box). At most one rollout per channel is
active or paused at a time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from edge.store.files import write_atomic
from ota.errors import RolloutRefused
from ota.repository import channel_folder, channel_lock, published_targets

ROLLOUTS_FILE = "rollouts.json"
SCHEMA = 1
ACTIVE, PAUSED, ABORTED, DONE = "active", "paused", "aborted", "done"
STATES = (ACTIVE, PAUSED, ABORTED, DONE)
OPEN_STATES = (ACTIVE, PAUSED)
FULL = 100


def in_rollout(device_id: str, version: str, percent: int) -> bool:
    """Whether the box ``device_id`` is among the ``percent`` % a rollout of ``version`` selects."""
    digest = sha256(f"{version}:{device_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") * 100 < percent * 2**64


@dataclass
class Rollout:
    """One rollout of a version in a channel, as ``rollouts.json`` stores it."""

    version: str
    channel: str
    percent: int
    state: str
    started_at: str
    updated_at: str
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``<version>@<channel>``, how reports and the dashboard name a rollout."""
        return f"{self.version}@{self.channel}"

    def selects(self, device_id: str) -> bool:
        """Whether this rollout offers its version to ``device_id`` now."""
        if self.state == DONE:
            return True
        return self.state == ACTIVE and in_rollout(device_id, self.version, self.percent)

    def record(self, action: str, now: datetime) -> None:
        """Note ``action`` in the history, with the percentage and state it left."""
        self.updated_at = _stamp(now)
        self.history.append(
            {"at": self.updated_at, "action": action, "percent": self.percent, "state": self.state}
        )


def load_rollouts(repo: Path, channel: str) -> list[Rollout]:
    """The rollouts of ``channel``, oldest first (none before the first ``rollout start``)."""
    path = channel_folder(repo, channel) / ROLLOUTS_FILE
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    if data.get("schema") != SCHEMA:
        raise RolloutRefused(f"{path}: schema {data.get('schema')!r}, this tool reads {SCHEMA}")
    return [Rollout(**entry) for entry in data["rollouts"]]


def save_rollouts(repo: Path, channel: str, rollouts: list[Rollout]) -> None:
    """Write ``channel``'s ``rollouts.json`` atomically."""
    body = {"schema": SCHEMA, "rollouts": [asdict(rollout) for rollout in rollouts]}
    path = channel_folder(repo, channel) / ROLLOUTS_FILE
    write_atomic(path, json.dumps(body, indent=2) + "\n")


def change_rollout(
    repo: Path,
    channel: str,
    action: str,
    version: str,
    percent: int | None = None,
    *,
    now: datetime | None = None,
) -> Rollout:
    """Apply ``action`` (start, raise, pause, resume, abort) under the channel's lock."""
    when = now if now is not None else datetime.now(UTC)
    with channel_lock(repo, channel):
        rollouts = load_rollouts(repo, channel)
        if action == "start":
            published = {t.custom.get("version") for t in published_targets(repo, channel).values()}
            rollout = start(rollouts, version, channel, _percent(percent), published, when)
        elif action == "raise":
            rollout = raise_to(rollouts, version, channel, _percent(percent), when)
        else:
            rollout = move(rollouts, version, channel, action, when)
        save_rollouts(repo, channel, rollouts)
    return rollout


def start(
    rollouts: list[Rollout],
    version: str,
    channel: str,
    percent: int,
    published: set[str],
    now: datetime,
) -> Rollout:
    """Append a new rollout of ``version`` to ``rollouts`` (``done`` at once at 100 %)."""
    if version not in published:
        raise RolloutRefused(
            f"{version} is not published in {channel}: "
            f"chrono-ota publish BUNDLE --channel {channel} first"
        )
    current = open_rollout(rollouts)
    if current is not None:
        raise RolloutRefused(
            f"rollout {current.key} is {current.state}: abort it or raise it to 100 % first"
        )
    done = [r for r in rollouts if r.state == DONE]
    if done:
        newest = max(done, key=lambda r: version_key(r.version))
        if version_key(version) <= version_key(newest.version):
            raise RolloutRefused(
                f"{version} is not newer than {newest.version}, which {channel} already runs"
            )
    rollout = Rollout(version, channel, percent, DONE if percent == FULL else ACTIVE, "", "")
    rollout.started_at = _stamp(now)
    rollout.record("start", now)
    rollouts.append(rollout)
    return rollout


def raise_to(
    rollouts: list[Rollout], version: str, channel: str, percent: int, now: datetime
) -> Rollout:
    """Raise the open rollout of ``version`` to ``percent``; 100 % makes it ``done``."""
    rollout = _open_of(rollouts, version, channel)
    if percent <= rollout.percent:
        raise RolloutRefused(
            f"rollout {rollout.key} is at {rollout.percent} %: raise only increases it "
            "(pause or abort to stop it)"
        )
    rollout.percent = percent
    if percent == FULL:
        rollout.state = DONE
    rollout.record("raise", now)
    return rollout


def move(
    rollouts: list[Rollout], version: str, channel: str, action: str, now: datetime
) -> Rollout:
    """Pause an active rollout, resume a paused one, or abort either."""
    rollout = _open_of(rollouts, version, channel)
    allowed = {"pause": (ACTIVE, PAUSED), "resume": (PAUSED, ACTIVE), "abort": (None, ABORTED)}
    if action not in allowed:
        raise RolloutRefused(
            f"unknown rollout action {action!r}: start, raise, pause, resume, abort"
        )
    needed, state = allowed[action]
    if needed is not None and rollout.state != needed:
        raise RolloutRefused(f"rollout {rollout.key} is {rollout.state}, it cannot {action}")
    rollout.state = state
    rollout.record(action, now)
    return rollout


def open_rollout(rollouts: list[Rollout]) -> Rollout | None:
    """The channel's active or paused rollout, if there is one."""
    return next((r for r in rollouts if r.state in OPEN_STATES), None)


def offer(rollouts: list[Rollout], device_id: str) -> Rollout | None:
    """The rollout whose version ``device_id`` is offered: the open one if it selects the box,
    else the channel's newest finished release; None when neither exists."""
    current = open_rollout(rollouts)
    if current is not None and current.selects(device_id):
        return current
    done = [r for r in rollouts if r.state == DONE]
    return max(done, key=lambda r: version_key(r.version)) if done else None


def version_key(version: str) -> Version:
    """``version`` as a comparable PEP 440 version (RolloutRefused if it is not one)."""
    try:
        return Version(version)
    except InvalidVersion:
        raise RolloutRefused(f"{version!r} is not a version (like 0.2.0)") from None


def _open_of(rollouts: list[Rollout], version: str, channel: str) -> Rollout:
    current = open_rollout(rollouts)
    if current is None or current.version != version:
        running = f"; the open one is {current.key}" if current else ""
        raise RolloutRefused(f"no active or paused rollout of {version} in {channel}{running}")
    return current


def _percent(percent: int | None) -> int:
    if percent is None or not 0 <= percent <= FULL:
        raise RolloutRefused(f"--percent must be 0 to 100, got {percent}")
    return percent


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds")
