"""Alarms the boxes report with their status: raise, clear, history, and what to push.

A box lists its active alarms in every status report (``edge.alarms``). An alarm first
listed is raised, one no longer listed is cleared; each raise and clear queues one
notification per channel in the same transaction (``alarm_push``), which
``central.services.notify`` sends. A report that repeats an open alarm only refreshes
its message: one push per raise and one per clear, never one per heartbeat.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy import desc
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.store.database import CentralDatabase
from central.store.models import AlarmPush, Device, DeviceAlarm
from edge.store.database import SQL_INT_MAX

HISTORY_SHOWN = 50


class AlarmIn(BaseModel):
    """One active alarm as the box reports it."""

    key: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=40)
    severity: str = Field(default="critical", max_length=20)
    subject: str = Field(default="box", max_length=160)
    message_en: str = Field(default="", max_length=500)
    since_us: int | None = Field(default=None, ge=0, le=SQL_INT_MAX)


@dataclass(frozen=True)
class AlarmView:
    """An alarm as the dashboard and the API show it."""

    id: str
    device_id: str
    hostname: str
    event: str
    code: str
    severity: str
    subject: str
    message: str
    since_us: int | None
    raised_us: int
    cleared_us: int | None
    pushes_waiting: int
    push_error: str

    @property
    def open(self) -> bool:
        """Still reported by the box."""
        return self.cleared_us is None


async def record_alarms(
    session: AsyncSession, device_id: str, reported: list[AlarmIn], channels: list[str], now: int
) -> None:
    """Raise what is new, refresh what stays, clear what the box no longer reports."""
    query = select(DeviceAlarm).where(
        DeviceAlarm.device_id == device_id, col(DeviceAlarm.cleared_us).is_(None)
    )
    open_rows = {row.key: row for row in (await session.exec(query)).all()}
    raised: list[DeviceAlarm] = []
    for alarm in reported:
        row = open_rows.pop(alarm.key, None)
        if row is not None:
            row.message = alarm.message_en
            row.severity = alarm.severity
            row.updated_us = now
            session.add(row)
            continue
        row = DeviceAlarm(
            device_id=device_id,
            key=alarm.key,
            code=alarm.code,
            severity=alarm.severity,
            subject=alarm.subject,
            message=alarm.message_en,
            since_us=alarm.since_us,
            raised_us=now,
            updated_us=now,
        )
        session.add(row)
        raised.append(row)
    for row in open_rows.values():
        row.cleared_us = now
        row.updated_us = now
        session.add(row)
    await session.flush()  # the alarms first: their pushes refer to them
    for row in raised:
        _queue(session, row.id, "raise", channels, now)
    for row in open_rows.values():
        _queue(session, row.id, "clear", channels, now)


def _queue(
    session: AsyncSession, alarm_id: str, transition: str, channels: list[str], now: int
) -> None:
    for channel in channels:
        session.add(
            AlarmPush(alarm_id=alarm_id, transition=transition, channel=channel, created_us=now)
        )


class AlarmService:
    """The alarms of the fleet: open ones first, then the recent history."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db

    async def alarms(
        self, *, open_only: bool = False, limit: int = HISTORY_SHOWN
    ) -> list[AlarmView]:
        """Open alarms (oldest raise first), then cleared ones (newest clear first)."""
        async with self.db.read() as session:
            query = select(DeviceAlarm, Device).join(
                Device, col(Device.id) == DeviceAlarm.device_id
            )
            if open_only:
                query = query.where(col(DeviceAlarm.cleared_us).is_(None))
            query = query.order_by(
                col(DeviceAlarm.cleared_us).is_not(None),
                desc(col(DeviceAlarm.cleared_us)),
                col(DeviceAlarm.raised_us),
            ).limit(limit)
            rows = (await session.exec(query)).all()
            ids = [alarm.id for alarm, _ in rows]
            pushes = (
                await session.exec(select(AlarmPush).where(col(AlarmPush.alarm_id).in_(ids)))
            ).all()
        waiting: dict[str, int] = {}
        errors: dict[str, str] = {}
        for push in pushes:
            if push.sent_us is None:
                waiting[push.alarm_id] = waiting.get(push.alarm_id, 0) + 1
                if push.last_error:
                    errors[push.alarm_id] = f"{push.channel}: {push.last_error}"
        return [
            AlarmView(
                id=alarm.id,
                device_id=alarm.device_id,
                hostname=device.hostname,
                event=device.event_slug,
                code=alarm.code,
                severity=alarm.severity,
                subject=alarm.subject,
                message=alarm.message,
                since_us=alarm.since_us,
                raised_us=alarm.raised_us,
                cleared_us=alarm.cleared_us,
                pushes_waiting=waiting.get(alarm.id, 0),
                push_error=errors.get(alarm.id, ""),
            )
            for alarm, device in rows
        ]


def alarm_channels(webhooks: list[str], mail_to: list[str], smtp_host: str) -> list[str]:
    """The channels each raise and clear is pushed to: every webhook, then e-mail if set up."""
    channels = [f"webhook {url}" for url in webhooks]
    if mail_to and smtp_host:
        channels.append("email")
    return channels
