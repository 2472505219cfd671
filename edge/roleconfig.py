"""reader.json: the box's role at this event, chosen on ``/setup``.

Every process (serve, reader, worker) reads it; ``/setup`` and the CLI write it
atomically (temporary file, fsync, rename, fsync of the folder), so a power cut
leaves the old file or the new one, never half of one. A missing file means a
MASTER with the emulated reader on 127.0.0.1:5084 (the development default).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.domain.ids import new_id
from edge.errors import InvalidInput, Problem


class Role(StrEnum):
    """What the box does at the event."""

    MASTER = "master"  # finish line: results, screens, replication to central
    SLAVE = "slave"  # start or split: reads tags and forwards them to the MASTER


class ReaderConfig(BaseModel):
    """The LLRP reader wired to the box."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=5084, ge=1, le=65535)
    antennas: list[Annotated[int, Field(ge=1, le=32)]] = Field(default=[1, 2, 3, 4], min_length=1)
    tx_power_dbm: float | None = Field(default=None, ge=0, le=36, description="None: maximum")
    keepalive_s: float = Field(default=5.0, gt=0, le=600, description="reader KEEPALIVE period")
    silence_s: float = Field(
        default=15.0, gt=0, description="reconnect when nothing arrives for this long"
    )


class GpioConfig(BaseModel):
    """Status LED, buzzer and shutdown button (BCM pin numbers)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    led_pin: int = Field(default=17, ge=0, le=27)
    buzzer_pin: int = Field(default=27, ge=0, le=27)
    button_pin: int = Field(default=22, ge=0, le=27)
    beep_on_passing: bool = True
    shutdown_hold_s: float = Field(
        default=3.0, gt=0, le=30, description="how long the button is held to shut down"
    )
    shutdown_command: list[str] = Field(
        default=["systemctl", "poweroff"],
        min_length=1,
        description="run when the button is held (services flush on the SIGTERM it causes)",
    )


class CentralLink(BaseModel):
    """The box's membership of the fleet, as central granted it at enrollment."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="central's base URL")
    device_id: str = Field(min_length=1)
    device_token: str = Field(min_length=1, description="secret; reader.json is mode 0600")
    tunnel_address: str = Field(description="this box's WireGuard address, e.g. 10.77.0.2/32")
    hub_address: str = ""
    hub_public_key: str = ""
    hub_endpoint: str = ""


class RoleConfig(BaseModel):
    """Contents of reader.json."""

    model_config = ConfigDict(extra="forbid")

    role: Role = Role.MASTER
    device_id: str = Field(default_factory=new_id, min_length=1)
    event: str | None = Field(default=None, description="slug of the event being timed")
    point: str | None = Field(default=None, description="code of this box's timing point")
    reader: ReaderConfig = Field(default_factory=ReaderConfig)
    master_url: str | None = Field(default=None, description="the MASTER's base URL (SLAVE)")
    event_key: str = Field(default="", description="shared secret of the event's boxes")
    gpio: GpioConfig = Field(default_factory=GpioConfig)
    central: CentralLink | None = Field(default=None, description="set by enrollment")

    @model_validator(mode="after")
    def _slave_needs_its_master(self) -> RoleConfig:
        if self.role is Role.SLAVE:
            missing = [
                name
                for name, value in (
                    ("master_url", self.master_url),
                    ("event_key", self.event_key),
                    ("event", self.event),
                    ("point", self.point),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"a slave needs {', '.join(missing)}")
        if self.master_url is not None and not self.master_url.startswith(("http://", "https://")):
            raise ValueError(f"master_url {self.master_url!r} must start with http:// or https://")
        return self


def parse_role(data: bytes, source: str = "reader.json") -> RoleConfig:
    """Validate reader.json's bytes; every problem names its field."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        line = getattr(err, "lineno", None)
        problem = Problem("file", str(err), line)
        raise InvalidInput([problem], f"{source} is not JSON") from err
    try:
        return RoleConfig.model_validate(raw)
    except ValidationError as err:
        problems = [
            Problem(".".join(str(p) for p in e["loc"]) or "file", e["msg"]) for e in err.errors()
        ]
        raise InvalidInput(problems, f"{len(problems)} problems in {source}") from err


def load_role(path: Path) -> RoleConfig:
    """Read reader.json; a missing file is the development default (MASTER, emulator)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RoleConfig()
    return parse_role(data, str(path))


def save_role(path: Path, config: RoleConfig) -> None:
    """Write reader.json atomically and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = config.model_dump_json(indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=".reader.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


async def watch_role(path: Path, interval_s: float = 1.0) -> AsyncIterator[RoleConfig]:
    """Yield the configuration now, then again each time the file changes to a valid one.

    An invalid file (an operator editing by hand) is skipped: the last valid
    configuration stays in force until the file is fixed.
    """
    seen: tuple[int, int] | None = None
    while True:
        stamp = await asyncio.to_thread(_stamp, path)
        if stamp != seen:
            seen = stamp
            config = await asyncio.to_thread(_load_or_none, path)
            if config is not None:
                yield config
        await asyncio.sleep(interval_s)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def _load_or_none(path: Path) -> RoleConfig | None:
    try:
        return load_role(path)
    except InvalidInput:
        return None
