"""Pushes alarm raises and clears to webhooks and by e-mail, off the request path.

A loop of the central app (``PeriodicTask``) sends the notifications waiting in
``alarm_push``: a webhook gets a JSON POST through httpx, e-mail goes through the
configured SMTP server with smtplib in a thread. Each send is retried a few times with
backoff (tenacity); one that still fails stays waiting for the next round, with its error,
until ``alarm_push_attempts`` rounds have failed.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx
from sqlmodel import col, select
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from central.services.periodic import PeriodicTask
from central.settings import CentralSettings
from central.store.database import CentralDatabase
from central.store.models import AlarmPush, Device, DeviceAlarm
from edge.domain.clock import from_us, now_us

log = logging.getLogger(__name__)

TRIES_PER_ROUND = 3
SEND_TIMEOUT_S = 10.0
BATCH = 50


class PushFailed(Exception):
    """A channel refused or could not take a notification."""


class AlarmNotifier:
    """Sends what ``alarm_push`` holds, once per raise or clear and channel."""

    def __init__(self, db: CentralDatabase, settings: CentralSettings) -> None:
        self.db = db
        self.settings = settings

    async def push_waiting(self) -> int:
        """Send every notification waiting; return how many were sent."""
        async with self.db.read() as session:
            query = (
                select(AlarmPush, DeviceAlarm, Device)
                .join(DeviceAlarm, col(DeviceAlarm.id) == AlarmPush.alarm_id)
                .join(Device, col(Device.id) == DeviceAlarm.device_id)
                .where(
                    col(AlarmPush.sent_us).is_(None),
                    col(AlarmPush.attempts) < self.settings.alarm_push_attempts,
                )
                .order_by(col(AlarmPush.created_us))
                .limit(BATCH)
            )
            waiting = (await session.exec(query)).all()
        sent = 0
        for push, alarm, device in waiting:
            try:
                await self._send(push.channel, notification(push.transition, alarm, device))
            except Exception as error:
                log.warning(
                    "alarm %s %s on %s failed: %s", alarm.key, push.transition, push.channel, error
                )
                await self._mark(push.id, sent=False, error=str(error) or type(error).__name__)
            else:
                await self._mark(push.id, sent=True, error="")
                sent += 1
        return sent

    async def _send(self, channel: str, body: dict[str, Any]) -> None:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(TRIES_PER_ROUND),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        ):
            with attempt:
                if channel.startswith("webhook "):
                    await self._post(channel.removeprefix("webhook "), body)
                elif channel == "email":
                    await asyncio.to_thread(self._mail, body)
                else:
                    raise PushFailed(f"unknown channel {channel!r}")

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT_S) as client:
            response = await client.post(url, json=body)
        if response.status_code >= 300:
            raise PushFailed(f"{url} answered {response.status_code}")

    def _mail(self, body: dict[str, Any]) -> None:
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.alarm_mail_from
        message["To"] = ", ".join(settings.alarm_mail_to)
        message["Subject"] = body["title"]
        message.set_content(body["text"])
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SEND_TIMEOUT_S) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)

    async def _mark(self, push_id: str, *, sent: bool, error: str) -> None:
        async with self.db.write() as session:
            push = await session.get(AlarmPush, push_id)
            if push is None:
                return
            if sent:
                push.sent_us = now_us()
            push.attempts += 1
            push.last_error = error[:500]
            session.add(push)


def notification(transition: str, alarm: DeviceAlarm, device: Device) -> dict[str, Any]:
    """The JSON a webhook gets (e-mails use its title and text)."""
    raised = transition == "raise"
    word = "ALARM" if raised else "cleared"
    title = f"[{word}] {device.hostname} ({device.event_slug}): {alarm.code} {alarm.subject}"
    at = alarm.raised_us if raised else (alarm.cleared_us or alarm.updated_us)
    text = (
        f"{alarm.message}\n\nBox: {device.hostname} ({device.serial}), event {device.event_slug}\n"
        f"{'Raised' if raised else 'Cleared'} at {from_us(at).isoformat()} (UTC)\n"
    )
    return {
        "transition": transition,
        "title": title,
        "text": text,
        "alarm": {
            "id": alarm.id,
            "key": alarm.key,
            "code": alarm.code,
            "severity": alarm.severity,
            "subject": alarm.subject,
            "message": alarm.message,
            "since_us": alarm.since_us,
            "raised_us": alarm.raised_us,
            "cleared_us": alarm.cleared_us,
        },
        "device": {"id": device.id, "hostname": device.hostname, "serial": device.serial},
        "event": device.event_slug,
    }


def alarm_pusher(notifier: AlarmNotifier, interval_s: float) -> PeriodicTask:
    """A task of the central app: push the waiting notifications now, then every interval."""

    async def push() -> None:
        try:
            await notifier.push_waiting()
        except Exception as error:
            log.error("alarm notifications not pushed: %s", error)

    return PeriodicTask("alarm-push", push, interval_s)
