"""The rollout board: per rollout, where each box it selects stands (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field

from central.store.models import Device, OtaDevice, OtaReport
from ota.errors import RolloutRefused
from ota.rollout import Rollout, in_rollout, version_key

COLUMNS = ("waiting", "downloading", "installed", "healthy", "rolled_back", "failed")
# How a report about the rollout's version places the box; idle/deferred/refused: waiting.
_COLUMN_OF_STATE = {
    "downloading": "downloading",
    "downloaded": "downloading",
    "installing": "installed",
    "installed": "installed",
    "healthy": "healthy",
    "rolled_back": "rolled_back",
    "failed": "failed",
}


@dataclass(frozen=True)
class BoxLine:
    """One box a rollout selects, as the board lists it."""

    device_id: str
    hostname: str
    column: str
    state: str  # the box's latest report's state ("" if it never reported)
    current: str
    reason: str | None  # why it defers or refuses
    last_error: str | None


@dataclass
class RolloutBoard:
    """A rollout with its boxes counted per column."""

    rollout: Rollout
    boxes: list[BoxLine] = field(default_factory=list)
    not_selected: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """How many selected boxes stand in each column."""
        counts = dict.fromkeys(COLUMNS, 0)
        for box in self.boxes:
            counts[box.column] += 1
        return counts


def column_of(rollout: Rollout, latest: OtaReport | None, state: OtaDevice | None) -> str:
    """The column of a selected box: from its latest report about the rollout, else waiting.

    A box already running the version (or a newer one) is healthy even if it never
    reported about this rollout (it got the release another way).
    """
    current = state.current if state is not None else ""
    runs_it = bool(current) and _at_least(current, rollout.version)
    if latest is None:
        return "healthy" if runs_it else "waiting"
    column = _COLUMN_OF_STATE.get(latest.state)
    if column is None:
        return "healthy" if runs_it else "waiting"
    return column


def board(
    rollout: Rollout,
    devices: list[tuple[Device, OtaDevice | None]],
    latest: dict[str, OtaReport],
) -> RolloutBoard:
    """The board of ``rollout`` over the boxes of its channel; ``latest``: reports about it."""
    found = RolloutBoard(rollout)
    for device, state in devices:
        if state is None or state.channel != rollout.channel:
            continue
        if not in_rollout(device.id, rollout.version, rollout.percent):
            found.not_selected += 1
            continue
        report = latest.get(device.id)
        found.boxes.append(
            BoxLine(
                device_id=device.id,
                hostname=device.hostname,
                column=column_of(rollout, report, state),
                state=state.state,
                current=state.current,
                reason=state.reason if state.state in ("deferred", "refused") else None,
                last_error=state.last_error,
            )
        )
    return found


def _at_least(version: str, floor: str) -> bool:
    try:
        return version_key(version) >= version_key(floor)
    except RolloutRefused:
        return False
