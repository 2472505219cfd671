"""Admin accounts of the dashboard."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from central.errors import Conflict, Invalid
from central.security import check_password, hash_password, new_token
from central.store.database import CentralDatabase
from central.store.models import AdminUser
from edge.domain.clock import now_us

MIN_PASSWORD = 10


class UserService:
    """Create and check admin accounts."""

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
