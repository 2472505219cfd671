"""reader.json: the box's role at this event, chosen on ``/setup``.

Every process (serve, reader, worker) reads it and follows it (``watch_role``);
``/setup`` and the CLI write it atomically (temporary file, fsync, rename, fsync
of the folder), so a power cut leaves the old file or the new one, never half of
one, and a configuration that does not validate is never written.

The file carries a schema version (``"schema": 1``; a file without one is
version 1); a file from a newer ChronoEdge is refused rather than half
understood. A few environment variables override the file (the environment
wins, see ``ENVIRONMENT``), as organisers already set them on their boxes.

A missing file is the development default: a MASTER reading the emulator on
127.0.0.1:5084. ``make run``, the test boxes and every fixture rely on it; a box
fresh from the image is UNCONFIGURED because the image is to ship a reader.json
that says so (``unconfigured_role``); an UNCONFIGURED box's reader and worker idle.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import secrets
import string
from collections.abc import AsyncGenerator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.errors import InvalidInput, Problem
from edge.ids import new_id
from edge.store.files import PRIVATE_MODE, write_atomic


class Role(StrEnum):
    """What the box does at the event."""

    MASTER = "master"  # finish line: results, screens, replication to central
    SLAVE = "slave"  # start or split: reads tags and forwards them to the MASTER
    UNCONFIGURED = "unconfigured"  # fresh from the image: reader and worker idle until /setup


SCHEMA_VERSION = 1
"""The reader.json schema this software writes and understands."""


HOST_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.:%_-]*$"
"""A reader's host: a name, an IPv4 or an IPv6 address (what a socket can resolve)."""


class ReaderConfig(BaseModel):
    """The LLRP reader wired to the box."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", pattern=HOST_PATTERN, max_length=253)
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


class CheckinConfig(BaseModel):
    """Where chips are checked before the start (``/checkin``): the whole box, or some antennas.

    Reads there become check-ins, never race passings (``edge.store.checkins``).
    """

    model_config = ConfigDict(extra="forbid")

    box: bool = Field(default=False, description="every antenna of the box is a check-in point")
    antennas: list[Annotated[int, Field(ge=1, le=32)]] = Field(
        default=[], description="else only these antennas are (the others time the race)"
    )

    def covers(self, antenna: int) -> bool:
        """Whether a read by ``antenna`` is a check-in."""
        return self.box or antenna in self.antennas

    @property
    def enabled(self) -> bool:
        """Whether the box checks chips at all."""
        return self.box or bool(self.antennas)


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

    @property
    def tunnel_granted(self) -> bool:
        """Whether central runs a WireGuard hub this box can reach (else sync uses ``url``)."""
        return bool(self.hub_address and self.hub_public_key and self.hub_endpoint)


class VpnConfig(BaseModel):
    """The WireGuard tunnel to central (keys and peers come from enrollment, in ``central``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="bring the tunnel up once enrolled")
    interface: str = Field(default="wg0", pattern=r"^[A-Za-z0-9_=+.-]{1,15}$")
    sync_through_tunnel: bool = Field(
        default=True, description="sync to central's tunnel address while the tunnel is up"
    )


class RoleConfig(BaseModel):
    """Contents of reader.json."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    schema_version: int = Field(
        default=SCHEMA_VERSION,
        ge=1,
        le=SCHEMA_VERSION,
        validation_alias=AliasChoices("schema", "schema_version"),
        serialization_alias="schema",
        description="reader.json schema version (absent: 1)",
    )
    role: Role = Role.MASTER
    device_id: str = Field(default_factory=new_id, min_length=1)
    reader_serial: str | None = Field(
        default=None, description="the LLRP reader's serial or fleet number, as on its label"
    )
    event: str | None = Field(default=None, description="slug of the event being timed")
    point: str | None = Field(default=None, description="code of this box's timing point")
    reader: ReaderConfig = Field(default_factory=ReaderConfig)
    master_url: str | None = Field(default=None, description="the MASTER's base URL (SLAVE)")
    discovery: bool = Field(
        default=False, description="SLAVE without master_url: find the MASTER by mDNS"
    )
    event_key: str = Field(default="", description="shared secret of the event's boxes")
    gpio: GpioConfig = Field(default_factory=GpioConfig)
    checkin: CheckinConfig = Field(default_factory=CheckinConfig)
    central: CentralLink | None = Field(default=None, description="set by enrollment")
    vpn: VpnConfig = Field(default_factory=VpnConfig)

    @model_validator(mode="after")
    def _slave_needs_its_master(self) -> RoleConfig:
        if self.role is Role.SLAVE:
            missing = [
                name
                for name, value in (
                    ("master_url", self.master_url or self.discovery),
                    ("event_key", self.event_key),
                    ("event", self.event),
                    ("point", self.point),
                )
                if not value
            ]
            if missing:
                hint = ' (or "discovery": true)' if "master_url" in missing else ""
                raise ValueError(f"a slave needs {', '.join(missing)}{hint}")
        if self.master_url is not None and not self.master_url.startswith(("http://", "https://")):
            raise ValueError(f"master_url {self.master_url!r} must start with http:// or https://")
        return self


ENVIRONMENT: dict[str, str] = {
    "READER_MODE": "role",
    "READER_SERIAL": "reader_serial",
    "MASTER_API_URL": "master_url",
    "CHRONO_EDGE_EVENT": "event",
    "CHRONO_EDGE_POINT": "point",
    "CHRONO_EDGE_EVENT_KEY": "event_key",
    "CHRONO_EDGE_READER_HOST": "reader.host",
}
"""Environment variables that override reader.json (the environment wins), and their field."""


def parse_role(
    data: bytes, source: str = "reader.json", env: Mapping[str, str] | None = None
) -> RoleConfig:
    """Validate reader.json's bytes, then apply ``env`` overrides; every problem names its field."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        line = getattr(err, "lineno", None)
        problem = Problem("file", str(err), line)
        raise InvalidInput([problem], f"{source} is not JSON") from err
    if not isinstance(raw, dict):
        raise InvalidInput([Problem("file", "must be a JSON object")], f"{source} is not an object")
    _check_schema(raw, source)
    return _validate(raw | _overrides(env or {}), source, env or {})


def load_role(path: Path, env: Mapping[str, str] | None = None) -> RoleConfig:
    """The role in force: reader.json (missing: the development default) under ``env`` overrides.

    ``env`` defaults to the process environment; pass ``{}`` for the file alone.
    """
    environment = os.environ if env is None else env
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _validate(_overrides(environment), str(path), environment)
    return parse_role(data, str(path), environment)


def load_file_role(path: Path) -> RoleConfig:
    """reader.json alone, without environment overrides: what /setup edits and saves back."""
    return load_role(path, {})


def env_overrides(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The reader.json fields the environment forces, and the variable forcing each."""
    environment = os.environ if env is None else env
    return {field: name for name, field in ENVIRONMENT.items() if environment.get(name)}


EVENT_KEY_MIN_LENGTH = 16
EVENT_KEY_MIN_BITS = 64
"""An event key guards the MASTER's ingest from anyone on the race LAN: at least 16
characters, and about 64 bits by the kinds of characters it mixes (what
``new_event_key`` makes: 16 random URL-safe characters, 96 bits)."""


def new_event_key() -> str:
    """A random event key the slaves' operators can type (16 URL-safe characters)."""
    while True:  # about one draw in 15,000 looks like a pattern (QQPP...): draw again
        key = secrets.token_urlsafe(12)
        if event_key_weakness(key) is None:
            return key


def event_key_weakness(key: str) -> str | None:
    """Why ``key`` is too weak to be an event key, or None when it is strong enough.

    Length, the kinds of characters it mixes, how many different ones, and no long
    run of one character or of a sequence (aaaa..., 0123..., abcd...).
    """
    if len(key) < EVENT_KEY_MIN_LENGTH:
        return f"an event key needs at least {EVENT_KEY_MIN_LENGTH} characters"
    alphabet = sum(
        size
        for kind, size in (
            (string.ascii_lowercase, 26),
            (string.ascii_uppercase, 26),
            (string.digits, 10),
        )
        if any(c in kind for c in key)
    ) + (33 if any(not c.isascii() or not c.isalnum() for c in key) else 0)
    distinct = len(set(key))
    # A run (0 or ±1 between neighbours) repeats or counts: it adds next to no guesswork.
    steps = sum(1 for a, b in itertools.pairwise(key) if abs(ord(a) - ord(b)) <= 1)
    bits = (len(key) - steps) * math.log2(max(alphabet, 2))
    if distinct < min(len(key) // 2, 10) or steps > len(key) // 3 or bits < EVENT_KEY_MIN_BITS:
        return (
            "this event key is easy to guess (repeats, sequences or too few kinds of"
            " characters): leave it blank on a MASTER for a random one"
        )
    return None


def unconfigured_role() -> RoleConfig:
    """The role of a box fresh from the image: nothing chosen yet."""
    return RoleConfig(role=Role.UNCONFIGURED)


def save_role(path: Path, config: RoleConfig) -> None:
    """Write reader.json atomically and durably; an invalid configuration is refused unwritten.

    ``config`` is validated again first (``model_copy(update=...)`` skips
    validation), so the file on disk is always one every process can load.
    """
    text = config.model_dump_json(indent=2, by_alias=True) + "\n"
    parse_role(text.encode(), str(path), {})  # raises InvalidInput; the old file stays
    _check_new_event_key(path, config.event_key)
    write_atomic(path, text, PRIVATE_MODE)  # it holds the event key and the device token


def replace_role(path: Path, data: bytes) -> RoleConfig:
    """Install a whole reader.json given as bytes (an uploaded file): validated, then saved."""
    config = parse_role(data, "the new reader.json", {})
    save_role(path, config)
    return config


async def watch_role(
    path: Path, interval_s: float = 1.0, env: Mapping[str, str] | None = None
) -> AsyncGenerator[RoleConfig, None]:
    """Yield the configuration now, then again each time the file changes to a valid one.

    An invalid file (an operator editing by hand) is skipped: the last valid
    configuration stays in force until the file is fixed. A file replaced by
    ``save_role`` is a new inode, so a change within the same mtime tick is seen.
    """
    seen: tuple[int, int, int] | None = None
    while True:
        stamp = await asyncio.to_thread(_stamp, path)
        if stamp != seen:
            seen = stamp
            config = await asyncio.to_thread(_load_or_none, path, env)
            if config is not None:
                yield config
        await asyncio.sleep(interval_s)


def _check_new_event_key(path: Path, key: str) -> None:
    """Refuse a weak event key being set; the key already in the file stays accepted.

    A box saving reader.json for another reason (enrollment, a role switch) must not
    stop on a key chosen before keys had rules.
    """
    if not key:
        return
    try:
        current = load_file_role(path).event_key if path.exists() else ""
    except InvalidInput:
        current = ""
    weakness = None if key == current else event_key_weakness(key)
    if weakness is not None:
        raise InvalidInput([Problem("event_key", weakness)], "the event key was not changed")


def _check_schema(raw: dict[str, object], source: str) -> None:
    version = raw.get("schema", raw.get("schema_version", 1))
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        reason = (
            f"schema {version} is newer than this ChronoEdge understands ({SCHEMA_VERSION}):"
            " update the box's software, or write the file again from its /setup page"
        )
        raise InvalidInput([Problem("schema", reason)], f"{source} is from a newer ChronoEdge")


def _overrides(env: Mapping[str, str]) -> dict[str, object]:
    """reader.json keys the environment sets (nested ones as sub-objects to merge)."""
    values: dict[str, object] = {}
    for name, field in ENVIRONMENT.items():
        value = env.get(name, "").strip()
        if value:
            values[field] = value.lower() if field == "role" else value
    return values


def _validate(raw: dict[str, object], source: str, env: Mapping[str, str]) -> RoleConfig:
    nested = {k: v for k, v in raw.items() if "." in k}
    data: dict[str, object] = {k: v for k, v in raw.items() if "." not in k}
    for dotted, value in nested.items():
        head, tail = dotted.split(".", 1)
        section = data.get(head)
        data[head] = {**(section if isinstance(section, dict) else {}), tail: value}
    try:
        return RoleConfig.model_validate(data)
    except ValidationError as err:
        forced = env_overrides(env)
        problems = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "file"
            if where in forced:  # the value came from the environment: name the variable
                where = f"{forced[where]} (environment)"
            problems.append(Problem(where, e["msg"]))
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        raise InvalidInput(problems, f"{count} in {source}") from err


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _load_or_none(path: Path, env: Mapping[str, str] | None) -> RoleConfig | None:
    try:
        return load_role(path, env)
    except InvalidInput:
        return None
