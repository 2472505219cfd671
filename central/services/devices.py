"""Devices of the fleet: who a device token belongs to."""

from __future__ import annotations

from sqlmodel import select

from central.errors import Unauthorized
from central.security import token_hash
from central.store.database import CentralDatabase
from central.store.models import Device


class DeviceService:
    """Looks devices up by their API token."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db

    async def authenticate(self, authorization: str | None) -> Device:
        """The device whose ``Bearer`` token this is, or Unauthorized."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the device token as 'Authorization: Bearer <token>'")
        async with self.db.read() as session:
            found = await session.exec(
                select(Device).where(Device.token_hash == token_hash(token.strip()))
            )
            device = found.first()
        if device is None:
            raise Unauthorized("unknown device token; enroll the box again")
        return device
