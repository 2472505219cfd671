"""Enrollment: a box trades a single-use token for its device identity and tunnel address."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from ipaddress import IPv4Address

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.errors import Invalid, NotFound, TunnelRangeExhausted, Unauthorized
from central.security import new_token, token_hash
from central.settings import CentralSettings
from central.store.database import CentralDatabase
from central.store.models import Device, EnrollmentToken
from central.vpn.service import HubService, record_peer
from edge.domain.clock import now_us

_SECOND = 1_000_000
_ALLOCATION_ATTEMPTS = 5


@dataclass(frozen=True)
class EnrollmentRequest:
    """What a box presents to join the fleet."""

    token: str
    serial: str
    hostname: str
    version: str
    wg_public_key: str


@dataclass(frozen=True)
class Enrollment:
    """What the box gets back: who it is, its secret, and where it sits in the tunnel."""

    device_id: str
    device_token: str
    event_slug: str
    tunnel_address: str
    hub_address: str
    hub_public_key: str
    hub_endpoint: str
    tunnel_available: bool = False
    tunnel_detail: str = ""  # why there is no tunnel, or why the hub could not admit it yet


@dataclass(frozen=True)
class IssuedToken:
    """A new enrollment token (shown once: only its hash is stored)."""

    token: str
    event_slug: str
    expires_us: int


def check_wg_key(key: str) -> str:
    """A WireGuard public key: 32 bytes in standard base64 (44 characters)."""
    key = key.strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Invalid(f"wg_public_key {key!r} is not base64") from error
    if len(raw) != 32:
        raise Invalid(f"wg_public_key must be 32 bytes in base64, got {len(raw)} bytes")
    return key


class EnrollmentService:
    """Enrollment tokens and the devices they admit."""

    def __init__(
        self, db: CentralDatabase, settings: CentralSettings, hub: HubService | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.hub = hub or HubService(db, settings)

    async def issue_token(self, event_slug: str, ttl_s: int | None = None) -> IssuedToken:
        """Create a single-use token for one box of ``event_slug``."""
        if not event_slug.strip():
            raise Invalid("an enrollment token needs the event slug")
        token = new_token()
        now = now_us()
        expires = now + (ttl_s or self.settings.enroll_token_ttl_s) * _SECOND
        async with self.db.write() as session:
            session.add(
                EnrollmentToken(
                    token_hash=token_hash(token),
                    event_slug=event_slug.strip(),
                    created_us=now,
                    expires_us=expires,
                )
            )
        return IssuedToken(token, event_slug.strip(), expires)

    async def enroll(self, request: EnrollmentRequest) -> Enrollment:
        """Use the token (once), register or re-register the box, allocate its /32."""
        if not request.serial.strip():
            raise Invalid("serial is required")
        key = check_wg_key(request.wg_public_key)
        for attempt in range(_ALLOCATION_ATTEMPTS):
            try:
                return await self._enroll_once(request, key)
            except IntegrityError:
                # Two boxes enrolled at once and picked the same free address (or the
                # same serial raced itself): the transaction rolled back, token unused.
                if attempt == _ALLOCATION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _enroll_once(self, request: EnrollmentRequest, key: str) -> Enrollment:
        now = now_us()
        device_token = new_token()
        async with self.db.write() as session:
            used = await session.exec(
                update(EnrollmentToken)
                .where(
                    col(EnrollmentToken.token_hash) == token_hash(request.token),
                    col(EnrollmentToken.used_us).is_(None),
                    col(EnrollmentToken.expires_us) > now,
                )
                .values(used_us=now)
                .returning(col(EnrollmentToken.id), col(EnrollmentToken.event_slug))
            )
            row = used.first()
            if row is None:
                raise Unauthorized(await _why_refused(session, request.token, now))
            token_id, event_slug = row
            device = (
                await session.exec(select(Device).where(Device.serial == request.serial.strip()))
            ).first()
            if device is None:
                device = Device(
                    serial=request.serial.strip(),
                    hostname=request.hostname,
                    version=request.version,
                    event_slug=event_slug,
                    wg_public_key=key,
                    tunnel_address=await self._free_address(session),
                    token_hash=token_hash(device_token),
                    enrolled_us=now,
                )
                session.add(device)
            else:  # a box re-enrolled (reflashed, moved to another event): same address
                device.hostname = request.hostname
                device.version = request.version
                device.event_slug = event_slug
                device.wg_public_key = key
                device.token_hash = token_hash(device_token)
                device.enrolled_us = now
            await session.flush()
            await session.exec(
                update(EnrollmentToken)
                .where(col(EnrollmentToken.id) == token_id)
                .values(device_id=device.id)
            )
            await record_peer(session, device.id, key, device.tunnel_address, now)
        return await self._granted(device, device_token, event_slug)

    async def replace(self, device_id: str, request: EnrollmentRequest) -> Enrollment:
        """Hand an enrolled device's identity to a replacement box (admin, after a restore).

        The new box keeps the device id, the tunnel address and the replication
        cursor, so it carries on the old box's outbox; the old token stops working.
        """
        key = check_wg_key(request.wg_public_key)
        device_token = new_token()
        async with self.db.write() as session:
            device = await session.get(Device, device_id)
            if device is None:
                raise NotFound(f"no device {device_id}")
            clash = await session.exec(
                select(Device.id).where(
                    Device.serial == request.serial.strip(), col(Device.id) != device_id
                )
            )
            if clash.first() is not None:
                raise Invalid(f"serial {request.serial} already belongs to another device")
            device.serial = request.serial.strip()
            device.hostname = request.hostname
            device.version = request.version
            device.wg_public_key = key
            device.token_hash = token_hash(device_token)
            device.enrolled_us = now_us()
            session.add(device)
            await record_peer(session, device.id, key, device.tunnel_address, device.enrolled_us)
        return await self._granted(device, device_token, device.event_slug)

    async def _granted(self, device: Device, device_token: str, event_slug: str) -> Enrollment:
        """The answer to the box, once its peer row is committed: admitted live if possible."""
        detail = self.hub.unavailable()
        if not detail:
            detail = await self.hub.admit(device.id, device.wg_public_key, device.tunnel_address)
        return Enrollment(
            device_id=device.id,
            device_token=device_token,
            event_slug=event_slug,
            tunnel_address=f"{device.tunnel_address}/32",
            hub_address=str(self.settings.tunnel_network.ip),
            hub_public_key=self.hub.public_key(),
            hub_endpoint=self.settings.hub_endpoint,
            tunnel_available=not self.hub.unavailable(),
            tunnel_detail=detail,
        )

    async def _free_address(self, session: AsyncSession) -> str:
        network = self.settings.tunnel_network
        taken = set((await session.exec(select(Device.tunnel_address))).all())
        taken.add(str(network.ip))
        for host in network.network.hosts():
            if str(host) not in taken:
                return str(IPv4Address(host))
        raise TunnelRangeExhausted()


async def _why_refused(session: AsyncSession, token: str, now: int) -> str:
    found = (
        await session.exec(
            select(EnrollmentToken).where(EnrollmentToken.token_hash == token_hash(token))
        )
    ).first()
    if found is None:
        return "unknown enrollment token; create one with `chrono-central enroll-token create`"
    if found.used_us is not None:
        return "this enrollment token was already used; create a new one"
    return "this enrollment token has expired; create a new one"
