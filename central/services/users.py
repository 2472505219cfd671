"""Admin accounts of the dashboard."""

from __future__ import annotations

from sqlmodel import select

from central.errors import Conflict, Invalid
from central.security import check_password, hash_password
from central.store.database import CentralDatabase
from central.store.models import AdminUser
from edge.domain.clock import now_us

MIN_PASSWORD = 10


class UserService:
    """Create and check admin accounts."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db

    async def create(self, username: str, password: str) -> AdminUser:
        """Create an admin; refuse a taken name or a short password."""
        username = username.strip()
        if not username:
            raise Invalid("a username is required")
        if len(password) < MIN_PASSWORD:
            raise Invalid(f"the password must have at least {MIN_PASSWORD} characters")
        async with self.db.write() as session:
            taken = await session.exec(select(AdminUser).where(AdminUser.username == username))
            if taken.first() is not None:
                raise Conflict(f"user {username!r} already exists")
            user = AdminUser(
                username=username, password_hash=hash_password(password), created_us=now_us()
            )
            session.add(user)
        return user

    async def authenticate(self, username: str, password: str) -> AdminUser | None:
        """The admin with these credentials, or None."""
        async with self.db.read() as session:
            user = (
                await session.exec(select(AdminUser).where(AdminUser.username == username.strip()))
            ).first()
        if user is None or not check_password(user.password_hash, password):
            return None
        return user
