"""Central tables, on their own metadata (the edge tables live on SQLModel's default one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, LargeBinary
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, UniqueConstraint

from edge.domain.attempts import failed_attempt_table
from edge.domain.ids import new_id


class CentralModel(SQLModel, registry=registry()):
    """Base of every central table."""


metadata = CentralModel.metadata


def Micros(*, default: int | None = None) -> Any:
    """A timestamp in µs since the epoch: BIGINT, because PostgreSQL's INTEGER is 32 bits."""
    return Field(default=default, sa_type=BigInteger)


class AdminUser(CentralModel, table=True):
    """A person of the timing company who uses the dashboard."""

    __tablename__ = "admin_user"

    id: str = Field(default_factory=new_id, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str  # argon2id
    created_us: int = Micros()


class EnrollmentToken(CentralModel, table=True):
    """A single-use, expiring secret that lets one box join the fleet (stored hashed)."""

    __tablename__ = "enrollment_token"

    id: str = Field(default_factory=new_id, primary_key=True)
    token_hash: str = Field(unique=True)
    event_slug: str
    created_us: int = Micros()
    expires_us: int = Micros()
    used_us: int | None = Micros()
    device_id: str | None = None


class Device(CentralModel, table=True):
    """One box of the fleet, known by its serial."""

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("tunnel_address", name="uq_device_tunnel_address"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    serial: str = Field(unique=True)
    hostname: str
    version: str
    event_slug: str
    wg_public_key: str
    tunnel_address: str
    token_hash: str = Field(unique=True)  # sha256 of the device's API token
    enrolled_us: int = Micros()
    last_seen_us: int | None = Micros()
    last_seq: int = Field(default=0, sa_type=BigInteger)  # replication: last seq applied


class DeviceChange(CentralModel, table=True):
    """One replicated change of a box, kept in its order (restores replay them)."""

    __tablename__ = "device_change"

    device_id: str = Field(foreign_key="device.id", primary_key=True)
    seq: int = Field(primary_key=True, sa_type=BigInteger)
    table_name: str
    op: str
    row_id: str
    payload: str  # JSON object, as the box's outbox wrote it
    received_us: int = Micros()


class DeviceStatus(CentralModel, table=True):
    """What a box last said about itself (readers, sync lag, disk, backups)."""

    __tablename__ = "device_status"

    device_id: str = Field(foreign_key="device.id", primary_key=True)
    role: str = ""
    version: str = ""
    readers: str = "[]"  # JSON list of {reader, connected}
    pending_changes: int = 0
    oldest_pending_age_s: float = 0.0
    disk_free_pct: float | None = None
    last_backup_us: int | None = Micros()
    received_us: int = Micros()
    clock_alarms: str | None = None  # JSON list of {code, subject, detail}; None: never said


class Backup(CentralModel, table=True):
    """A file a box uploaded in chunks, complete once verified: a compressed SQLite snapshot
    (kind "snapshot"), or an event's archive the box sealed itself (kind "archive")."""

    __tablename__ = "backup"

    id: str = Field(default_factory=new_id, primary_key=True)
    device_id: str = Field(foreign_key="device.id", index=True)
    sha256: str  # of the file as stored (once sealed at rest: of the sealed file)
    size: int = Field(sa_type=BigInteger)
    received: int = Field(default=0, sa_type=BigInteger)
    seq: int = Field(default=0, sa_type=BigInteger)  # last outbox seq inside the snapshot
    complete: bool = False
    created_us: int = Micros()
    completed_us: int | None = Micros()
    kind: str = "snapshot"
    event_slug: str | None = None  # an archive's event
    sealed: bool = False
    uploaded_sha256: str | None = None  # a snapshot sealed at rest: the sha256 the box sent
    verified_us: int | None = Micros()  # an archive: when central last re-read and checked it


class PublicResults(CentralModel, table=True):
    """The latest results of a race as its MASTER box published them (for the public API)."""

    __tablename__ = "public_results"

    event_slug: str = Field(primary_key=True)
    race_code: str = Field(primary_key=True)
    device_id: str
    document: str  # JSON: {"columns": [...], "rows": [...]} as the box exports them
    etag: str
    updated_us: int = Micros()
    # The public API's response body, gzipped once when it was published (c0009), so the
    # server only sends bytes. It belongs to the document whose ETag is gzipped_etag: a
    # release older than c0009 replaces document and etag and leaves these two behind.
    gzipped: bytes | None = Field(default=None, sa_type=LargeBinary)
    gzipped_etag: str | None = None


class CentralEvent(CentralModel, table=True):
    """An event as its boxes replicated it (the dashboard lists the events of the day)."""

    __tablename__ = "central_event"

    slug: str = Field(primary_key=True)
    name: str
    date: str  # ISO date, the event's local day
    timezone: str
    device_id: str
    updated_us: int = Micros()
    place: str | None = None  # where it takes place (c0013; a box older than that: none)


class WireguardPeer(CentralModel, table=True):
    """A box's WireGuard peer on central's hub: the table the hub interface is reconciled to."""

    __tablename__ = "wireguard_peer"

    device_id: str = Field(foreign_key="device.id", primary_key=True)
    public_key: str = Field(index=True)
    tunnel_address: str = Field(unique=True)  # the box's /32, without the prefix length
    created_us: int = Micros()
    updated_us: int = Micros()
    last_handshake_us: int | None = Micros()  # the latest handshake the hub reported


class OtaDevice(CentralModel, table=True):
    """Where a box stands with updates: its channel and its latest state report."""

    __tablename__ = "ota_device"

    device_id: str = Field(foreign_key="device.id", primary_key=True)
    channel: str = ""  # as the box last asked for an offer
    target: str = ""
    offered_us: int | None = Micros()  # when it last asked
    state: str = ""
    current: str = ""
    previous: str | None = None
    offered: str | None = None
    rollout: str | None = None  # "<version>@<channel>"
    error: str | None = None
    reason: str | None = None
    at_us: int | None = Micros()  # when the box says the state was reached
    received_us: int | None = Micros()
    last_error: str | None = None  # the latest error it reported, kept after later reports
    last_error_us: int | None = Micros()


class OtaReport(CentralModel, table=True):
    """One state report of a box, kept when it differs from the one before (the history)."""

    __tablename__ = "ota_report"

    id: str = Field(default_factory=new_id, primary_key=True)
    device_id: str = Field(foreign_key="device.id", index=True)
    state: str
    current: str
    previous: str | None = None
    offered: str | None = None
    rollout: str | None = Field(default=None, index=True)
    error: str | None = None
    reason: str | None = None
    at_us: int = Micros()
    received_us: int = Micros()


failed_attempt = failed_attempt_table(metadata)
"""Failed admin logins per address, kept across restarts (``edge.auth.limiter``)."""


class DeviceAlarm(CentralModel, table=True):
    """An alarm a box reported: raised when first reported, cleared when no longer reported.

    One row per raise; while ``cleared_us`` is None it is open, and the box's reports
    update its message. The rows are the alarms' history on the dashboard.
    """

    __tablename__ = "device_alarm"

    id: str = Field(default_factory=new_id, primary_key=True)
    device_id: str = Field(foreign_key="device.id", index=True)
    key: str  # code and subject, as the box names it ("no_read:point FINISH")
    code: str
    severity: str
    subject: str
    message: str  # English, as last reported
    since_us: int | None = Micros()  # when the box says the condition began
    raised_us: int = Micros()  # when central first heard of it
    cleared_us: int | None = Micros()
    updated_us: int = Micros()


class AlarmPush(CentralModel, table=True):
    """One notification to send for an alarm's raise or clear, on one channel (an outbox).

    Written in the same transaction as the raise or the clear, so each is pushed once per
    channel however many reports repeat it; ``sent_us`` is set once the channel took it.
    """

    __tablename__ = "alarm_push"

    id: str = Field(default_factory=new_id, primary_key=True)
    alarm_id: str = Field(foreign_key="device_alarm.id", index=True)
    transition: str  # raise | clear
    channel: str  # "webhook <url>" or "email"
    created_us: int = Micros()
    sent_us: int | None = Micros()
    attempts: int = 0
    last_error: str = ""
