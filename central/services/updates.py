"""Over-the-air updates on central: what a box is offered, and the state reports it sends.

The repository folder (``ota.repository``) is the truth about releases and rollouts;
the database keeps what the boxes said: the latest report of each box
(``OtaDevice``) and a history of the reports that changed something (``OtaReport``).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Literal

import msgspec
from pydantic import AwareDatetime, BaseModel, Field
from sqlmodel import col, select

from central.errors import Invalid, NotFound
from central.services.rollouts import RolloutBoard, board
from central.store.database import CentralDatabase
from central.store.models import Device, OtaDevice, OtaReport
from edge.domain.clock import now_us, to_us
from ota.bundle import bundle_name
from ota.errors import RepositoryError, RolloutRefused, UnknownChannel, UnknownTarget
from ota.repository import (
    CHANNELS,
    METADATA_FOLDER,
    TARGETS_FOLDER,
    metadata_expiry,
    published_targets,
)
from ota.rollout import Rollout, load_rollouts, offer, version_key
from ota.targets import get_target

ReportState = Literal[
    "idle",
    "deferred",
    "downloading",
    "downloaded",
    "installing",
    "installed",
    "healthy",
    "rolled_back",
    "failed",
    "refused",
]
_VERSION = Field(default=None, max_length=64)
SERVED_FOLDERS = (METADATA_FOLDER, TARGETS_FOLDER)
# A served file name: no folder, no hidden file (the lock, a publish in progress).
_SERVED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
# The fields of a report that make a new history row when they change.
_HISTORY_FIELDS = ("state", "current", "previous", "offered", "rollout", "error", "reason")


class ReportIn(BaseModel):
    """A box's update state report (Mender-like): where it stands, and why."""

    state: ReportState
    current: str = Field(min_length=1, max_length=64)
    previous: str | None = _VERSION
    offered: str | None = _VERSION
    rollout: str | None = Field(default=None, max_length=100)
    error: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=500)
    at: AwareDatetime


class Offer(msgspec.Struct, omit_defaults=True):
    """What a box should run: ``{"version": null}`` alone when nothing is offered."""

    version: str | None
    target_name: str | None = None
    channel: str | None = None
    rollout: str | None = None  # "<version>@<channel>"
    percent: int | None = None


NOTHING = Offer(version=None)


class UpdateService:
    """Offers releases to boxes per the channel's rollouts, and stores their reports."""

    def __init__(self, db: CentralDatabase, repo: Path) -> None:
        self.db = db
        self.repo = repo

    async def offer(self, device: Device, channel: str, target: str) -> Offer:
        """The version ``device`` should run, as the contract words it; version None if none.

        A box is offered the channel's open rollout when the rollout selects it, else
        the newest finished one; never a version it already reported running (or newer).
        """
        _check(channel, target)
        await self._asked(device, channel, target)
        rollouts = await asyncio.to_thread(load_rollouts, self.repo, channel)
        chosen = offer(rollouts, device.id)
        if chosen is None:
            return NOTHING
        name = bundle_name(chosen.version, get_target(target))
        if name not in await asyncio.to_thread(published_targets, self.repo, channel):
            return NOTHING
        async with self.db.read() as session:
            state = await session.get(OtaDevice, device.id)
        if state is not None and _not_newer(chosen.version, state.current):
            return NOTHING
        return Offer(chosen.version, name, channel, chosen.key, chosen.percent)

    async def record(self, device: Device, report: ReportIn) -> None:
        """Keep ``report`` as the box's latest state; add it to the history if it changed."""
        received = now_us()
        fields = {name: getattr(report, name) for name in _HISTORY_FIELDS}
        async with self.db.write() as session:
            latest = await session.get(OtaDevice, device.id) or OtaDevice(device_id=device.id)
            if any(getattr(latest, name) != value for name, value in fields.items()):
                session.add(
                    OtaReport(
                        device_id=device.id, at_us=to_us(report.at), received_us=received, **fields
                    )
                )
            for name, value in fields.items():
                setattr(latest, name, value)
            latest.at_us, latest.received_us = to_us(report.at), received
            if report.error:
                latest.last_error, latest.last_error_us = report.error, to_us(report.at)
            session.add(latest)

    async def history(self, device_id: str, limit: int = 50) -> list[OtaReport]:
        """The latest ``limit`` reports of a box that changed something, newest first."""
        async with self.db.read() as session:
            rows = await session.exec(
                select(OtaReport)
                .where(OtaReport.device_id == device_id)
                .order_by(col(OtaReport.received_us).desc())
                .limit(limit)
            )
            return list(rows.all())

    async def rollouts(self) -> list[Rollout]:
        """Every channel's rollouts, newest first."""
        found: list[Rollout] = []
        for channel in CHANNELS:
            found.extend(await asyncio.to_thread(load_rollouts, self.repo, channel))
        return sorted(found, key=lambda r: r.started_at, reverse=True)

    async def devices(self) -> list[tuple[Device, OtaDevice | None]]:
        """Every enrolled box with where it stands with updates (None: never asked)."""
        async with self.db.read() as session:
            devices = (await session.exec(select(Device))).all()
            states = {s.device_id: s for s in (await session.exec(select(OtaDevice))).all()}
        return [(d, states.get(d.id)) for d in sorted(devices, key=lambda d: d.hostname)]

    async def boards(self) -> list[RolloutBoard]:
        """Every rollout, newest first, with its boxes counted per column."""
        rollouts = await self.rollouts()
        devices = await self.devices()
        async with self.db.read() as session:
            rows = await session.exec(
                select(OtaReport)
                .where(col(OtaReport.rollout).in_([r.key for r in rollouts]))
                .order_by(col(OtaReport.received_us))
            )
            latest: dict[str, dict[str, OtaReport]] = {}
            for row in rows.all():
                latest.setdefault(row.rollout or "", {})[row.device_id] = row
        return [board(r, devices, latest.get(r.key, {})) for r in rollouts]

    async def expiry(self) -> dict[str, dict[str, datetime]]:
        """When each channel's metadata expires, per role (channels without a repository: none)."""
        found = {}
        for channel in CHANNELS:
            try:
                found[channel] = await asyncio.to_thread(metadata_expiry, self.repo, channel)
            except RepositoryError:
                continue
        return found

    def served_file(self, channel: str, folder: str, name: str) -> Path:
        """The repository file ``/ota/<channel>/<folder>/<name>`` names; NotFound otherwise."""
        if channel not in CHANNELS or folder not in SERVED_FOLDERS:
            raise NotFound(f"no update channel {channel}/{folder}")
        base = self.repo / channel / folder
        path = base / name
        if not _SERVED_NAME.match(name) or ".." in name or not path.is_file():
            raise NotFound(f"no file {name} in {channel}/{folder}")
        if not path.resolve().is_relative_to(base.resolve()):
            raise NotFound(f"no file {name} in {channel}/{folder}")
        return path

    async def _asked(self, device: Device, channel: str, target: str) -> None:
        async with self.db.write() as session:
            row = await session.get(OtaDevice, device.id) or OtaDevice(device_id=device.id)
            row.channel, row.target, row.offered_us = channel, target, now_us()
            session.add(row)


def _check(channel: str, target: str) -> None:
    if channel not in CHANNELS:
        raise Invalid(str(UnknownChannel(channel, CHANNELS)))
    try:
        get_target(target)
    except UnknownTarget as error:
        raise Invalid(f"target {target!r}: {error}") from None


def _not_newer(version: str, current: str) -> bool:
    """Whether ``version`` is not newer than the box's ``current`` (nothing to offer)."""
    if not current:
        return False
    try:
        return version_key(version) <= version_key(current)
    except RolloutRefused:  # a box reporting a version that is no version: offer anyway
        return False
