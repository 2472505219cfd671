"""Admin accounts of the dashboard."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from central.errors import Conflict, Invalid, NotFound
from central.security import check_password, hash_password, new_token
from central.store.database import CentralDatabase
from central.store.models import AdminUser
from edge.domain.clock import now_us

MIN_PASSWORD = 10


def session_key(user: AdminUser) -> str:
    """What a login's session keeps of the password: a new password (or none) ends it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


class UserService:
    """Create, check, re-key and remove admin accounts."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db
        # A hash no password is known for: an unknown user costs the same argon2 work.
        # Made now, not at the first unknown name, which would then take twice as long.
        self._decoy = hash_password(new_token())

    async def create(self, username: str, password: str) -> AdminUser:
        """Create an admin; refuse a taken name or a short password."""
        username = username.strip()
        if not username:
            raise Invalid("a username is required")
        if len(password) < MIN_PASSWORD:
            raise Invalid(f"the password must have at least {MIN_PASSWORD} characters")
        hashed = await asyncio.to_thread(hash_password, password)  # argon2: off the loop
        async with self.db.write() as session:
            taken = await session.exec(select(AdminUser).where(AdminUser.username == username))
            if taken.first() is not None:
                raise Conflict(f"user {username!r} already exists")
            user = AdminUser(username=username, password_hash=hashed, created_us=now_us())
            session.add(user)
        return user

    async def authenticate(self, username: str, password: str) -> AdminUser | None:
        """The admin with these credentials, or None.

        An unknown name is checked against a decoy hash, so the answer takes as long
        as for a known one (the time tells no stranger which names exist); argon2 runs
        in a thread, so a flood of logins never stalls the boxes' sync or the dashboard.
        """
        async with self.db.read() as session:
            user = (
                await session.exec(select(AdminUser).where(AdminUser.username == username.strip()))
            ).first()
        stored = user.password_hash if user is not None else self._decoy
        matches = await asyncio.to_thread(check_password, stored, password)
        return user if user is not None and matches else None

    async def set_password(self, username: str, password: str) -> AdminUser:
        """Give ``username`` a new password: its open sessions end (their key no longer matches)."""
        if len(password) < MIN_PASSWORD:
            raise Invalid(f"the password must have at least {MIN_PASSWORD} characters")
        hashed = await asyncio.to_thread(hash_password, password)
        async with self.db.write() as session:
            user = await self._named(session, username)
            user.password_hash = hashed
            session.add(user)
        return user

    async def delete(self, username: str) -> None:
        """Remove ``username``: its sessions end and its password no longer opens anything."""
        async with self.db.write() as session:
            await session.delete(await self._named(session, username))

    async def session_user(self, username: str, key: object) -> AdminUser | None:
        """The admin a session names, if it still exists with the password it logged in with."""
        async with self.db.read() as session:
            user = (
                await session.exec(select(AdminUser).where(AdminUser.username == username))
            ).first()
        if user is None or not isinstance(key, str):
            return None
        return user if hmac.compare_digest(session_key(user), key) else None

    @staticmethod
    async def _named(session: AsyncSession, username: str) -> AdminUser:
        found = (
            await session.exec(select(AdminUser).where(AdminUser.username == username.strip()))
        ).first()
        if found is None:
            raise NotFound(f"no admin named {username.strip()!r}")
        return found
