"""The fleet at a glance: what each box reports, and the alerts an operator must see."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.services.alarms import AlarmIn, record_alarms
from central.services.event_scope import check_event
from central.store.database import CentralDatabase
from central.store.models import Backup, CentralEvent, Device, DeviceStatus
from central.vpn.service import HubService
from edge.domain.clock import from_us, now_us
from edge.store.database import SQL_INT_MAX

_SECOND = 1_000_000
SILENT_AFTER_S = 60
LAG_ALERT_S = 60
DISK_ALERT_PCT = 10.0
HANDSHAKE_FRESH_S = 180  # WireGuard re-handshakes every 2 minutes while traffic flows


class ReaderState(BaseModel):
    """One reader as the box sees it."""

    reader: str
    connected: bool


class ClockAlarmIn(BaseModel):
    """A clock alarm of the box (edge.clocks.alarms): its code, what it is about, what to do."""

    code: str = Field(pattern=r"^[a-z_]{1,40}$")  # clock_unsynchronised | clock_offset | ...
    subject: str = Field(max_length=100)  # "box", a SLAVE's device id, a reader
    detail: str = Field(max_length=500)


class EventIn(BaseModel):
    """The event the box is timing, as its event file names it."""

    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=200)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    timezone: str = Field(max_length=64)
    place: str | None = Field(default=None, max_length=200)  # boxes older than issue 24: none


class StatusIn(BaseModel):
    """What a box reports about itself every few seconds."""

    role: str = Field(default="", max_length=20)
    version: str = Field(default="", max_length=40)
    readers: list[ReaderState] = Field(default_factory=list, max_length=32)
    pending_changes: int = Field(default=0, ge=0, le=SQL_INT_MAX)
    oldest_pending_age_s: float = Field(default=0.0, ge=0)
    disk_free_pct: float | None = Field(default=None, ge=0, le=100)
    last_backup_us: int | None = Field(default=None, ge=0, le=SQL_INT_MAX)
    event: EventIn | None = None
    # None: a box too old to report alarms (its open alarms are left as they are).
    alarms: list[AlarmIn] | None = Field(default=None, max_length=200)
    clock_alarms: list[ClockAlarmIn] = Field(default_factory=list, max_length=64)


@dataclass(frozen=True)
class DeviceView:
    """A device as the dashboard shows it."""

    id: str
    serial: str
    hostname: str
    event: str
    role: str
    version: str
    tunnel_address: str
    last_seen_age_s: float | None
    pending_changes: int
    lag_s: float
    last_backup_age_s: float | None
    disk_free_pct: float | None
    readers: list[dict[str, object]]
    hub_running: bool = False
    handshake_age_s: float | None = None  # None: never, or no hub
    clock_alarms: list[dict[str, str]] = field(default_factory=list)

    @property
    def heartbeat_fresh(self) -> bool:
        """The box's app reported itself within the last minute."""
        return self.last_seen_age_s is not None and self.last_seen_age_s <= SILENT_AFTER_S

    @property
    def tunnel_fresh(self) -> bool:
        """The hub shook hands with the box within the last 3 minutes."""
        return self.handshake_age_s is not None and self.handshake_age_s <= HANDSHAKE_FRESH_S

    @property
    def online(self) -> bool:
        """Heartbeat and tunnel handshake both fresh (the heartbeat alone without a hub)."""
        return self.heartbeat_fresh and (self.tunnel_fresh or not self.hub_running)

    @property
    def tunnel(self) -> str:
        """The tunnel column: "no tunnel", "never" or the handshake's age."""
        if not self.hub_running:
            return "no tunnel"
        if self.handshake_age_s is None:
            return "never"
        return f"handshake {self.handshake_age_s:.0f} s ago"


@dataclass(frozen=True)
class Alert:
    """Something an operator must look at now."""

    device_id: str
    hostname: str
    event: str
    kind: str  # silent | tunnel_down | reader_disconnected | sync_lag | disk_low | clock_...
    detail: str


class FleetService:
    """Device reports, the dashboard's view and the alerts."""

    def __init__(
        self, db: CentralDatabase, hub: HubService | None = None, channels: list[str] | None = None
    ) -> None:
        self.db = db
        self.hub = hub
        self.channels = channels or []  # where alarm raises and clears are pushed

    async def report(self, device: Device, status: StatusIn) -> None:
        """Store a box's report; the box is seen now. Only its own event may be named."""
        if status.event is not None:
            check_event(device, status.event.slug, "the status report's event")
        now = now_us()
        async with self.db.write() as session:
            row = await session.get(DeviceStatus, device.id) or DeviceStatus(device_id=device.id)
            row.role = status.role
            row.version = status.version
            row.readers = json.dumps([r.model_dump() for r in status.readers])
            row.pending_changes = status.pending_changes
            row.oldest_pending_age_s = status.oldest_pending_age_s
            row.disk_free_pct = status.disk_free_pct
            row.last_backup_us = status.last_backup_us
            row.received_us = now
            row.clock_alarms = json.dumps([a.model_dump() for a in status.clock_alarms])
            session.add(row)
            if status.event is not None:
                await _record_event(session, device.id, status.event, now)
            if status.alarms is not None:
                await record_alarms(session, device.id, status.alarms, self.channels, now)
            stored = await session.get(Device, device.id)
            assert stored is not None
            stored.last_seen_us = now
            if status.version:
                stored.version = status.version

    async def devices(self, *, now: int | None = None) -> list[DeviceView]:
        """Every device, grouped by event then hostname."""
        now = now_us() if now is None else now
        async with self.db.read() as session:
            devices = (await session.exec(select(Device))).all()
            statuses = {s.device_id: s for s in (await session.exec(select(DeviceStatus))).all()}
            backups: dict[str, int] = {}
            for device_id, completed in (
                await session.exec(
                    select(Backup.device_id, Backup.completed_us).where(Backup.complete)
                )
            ).all():
                if completed is not None:
                    backups[device_id] = max(backups.get(device_id, 0), completed)
        ages = await self.hub.handshakes(now) if self.hub is not None else None
        views = [_view(d, statuses.get(d.id), backups.get(d.id), now, ages) for d in devices]
        return sorted(views, key=lambda v: (v.event, v.hostname))

    async def events_of_the_day(self, *, now: int | None = None) -> list[CentralEvent]:
        """Events whose date is today where they take place (their own timezone)."""
        now = now_us() if now is None else now
        async with self.db.read() as session:
            events = (await session.exec(select(CentralEvent))).all()
        today = [e for e in events if e.date == _local_date(now, e.timezone)]
        return sorted(today, key=lambda e: e.name)

    async def alerts(self, *, now: int | None = None) -> list[Alert]:
        """Alerts: silent > 60 s, tunnel down > 180 s, reader off, sync lag > 60 s, disk < 10 %,
        and the clock alarms the box reported (edge.clocks.alarms: unsynchronised, offset)."""
        found: list[Alert] = []
        for view in await self.devices(now=now):

            def alert(kind: str, detail: str, view: DeviceView = view) -> None:
                found.append(Alert(view.id, view.hostname, view.event, kind, detail))

            if view.last_seen_age_s is None or view.last_seen_age_s > SILENT_AFTER_S:
                seen = "never" if view.last_seen_age_s is None else f"{view.last_seen_age_s:.0f} s"
                alert("silent", f"last seen {seen} ago")
            elif view.hub_running and not view.tunnel_fresh:
                alert("tunnel_down", f"the box reports but its tunnel is down ({view.tunnel})")
            for reader in view.readers:
                if not reader.get("connected"):
                    alert("reader_disconnected", f"reader {reader.get('reader')} is disconnected")
            if view.lag_s > LAG_ALERT_S:
                alert("sync_lag", f"{view.pending_changes} changes wait, oldest {view.lag_s:.0f} s")
            if view.disk_free_pct is not None and view.disk_free_pct < DISK_ALERT_PCT:
                alert("disk_low", f"{view.disk_free_pct:.1f} % of the disk is free")
            if view.heartbeat_fresh:  # a silent box's last word on its clocks is stale
                for clock in view.clock_alarms:
                    alert(clock["code"], f"{clock['subject']}: {clock['detail']}")
        return found


async def _record_event(session: AsyncSession, device_id: str, event: EventIn, now: int) -> None:
    row = await session.get(CentralEvent, event.slug) or CentralEvent(
        slug=event.slug,
        name=event.name,
        date=event.date,
        timezone=event.timezone,
        device_id=device_id,
        updated_us=now,
    )
    row.name, row.date, row.timezone = event.name, event.date, event.timezone
    row.place = event.place
    row.device_id, row.updated_us = device_id, now
    session.add(row)


def _local_date(now: int, timezone: str) -> str:
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("UTC")
    return from_us(now).astimezone(zone).date().isoformat()


def _view(
    device: Device,
    status: DeviceStatus | None,
    backup_us: int | None,
    now: int,
    handshakes: dict[str, float | None] | None,
) -> DeviceView:
    seen = (now - device.last_seen_us) / _SECOND if device.last_seen_us else None
    return DeviceView(
        id=device.id,
        serial=device.serial,
        hostname=device.hostname,
        event=device.event_slug,
        role=status.role if status else "",
        version=(status.version if status and status.version else device.version),
        tunnel_address=device.tunnel_address,
        last_seen_age_s=seen,
        pending_changes=status.pending_changes if status else 0,
        lag_s=status.oldest_pending_age_s if status else 0.0,
        last_backup_age_s=(now - backup_us) / _SECOND if backup_us else None,
        disk_free_pct=status.disk_free_pct if status else None,
        readers=json.loads(status.readers) if status else [],
        hub_running=handshakes is not None,
        handshake_age_s=handshakes.get(device.id) if handshakes is not None else None,
        clock_alarms=json.loads(status.clock_alarms or "[]") if status else [],
    )
