"""Claiming the box with its setup PIN, and logging in with the admin password."""

from __future__ import annotations

import asyncio
import secrets
from functools import cached_property
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from edge.auth.errors import AlreadyClaimed, NotClaimed, WrongPassword, WrongPin
from edge.auth.limiter import LastingLimiter
from edge.auth.passwords import (
    ADMIN_FILE,
    AdminCredential,
    check_password_rules,
    create_credential,
    hash_password,
    load_credential,
    verify_password,
)
from edge.auth.pin import ensure_pin, find_boot_folder, read_pin, remove_pin
from edge.domain import FAILED_ATTEMPT
from edge.paths import BoxPaths
from edge.store.database import Database


class AdminService:
    """The box's single admin: the claim (PIN -> password), logins, and their limits."""

    def __init__(
        self, paths: BoxPaths, boot_folder: Path | None = None, database: Database | None = None
    ) -> None:
        self.folder = paths.config_dir  # with reader.json, where an operator looks for the PIN
        # The data folder, with the sessions: each box (and each test) has its own.
        self.credential_folder = paths.data_dir
        self.boot_folder = boot_folder if boot_folder is not None else find_boot_folder()
        self.pin_file = paths.setup_pin
        self.database_file = paths.database
        self._database = database

    @cached_property
    def pin_attempts(self) -> LastingLimiter:
        """Failed claims per address (kept in the box's database: a restart keeps them)."""
        return LastingLimiter(self._engine, FAILED_ATTEMPT, "pin")

    @cached_property
    def login_attempts(self) -> LastingLimiter:
        """Failed logins per address (kept in the box's database: a restart keeps them)."""
        return LastingLimiter(self._engine, FAILED_ATTEMPT, "login")

    @cached_property
    def _engine(self) -> AsyncEngine:
        # Only a claim or a login opens the database (the first boot merely shows the PIN).
        return (self._database or Database(self.database_file)).engine

    def claimed(self) -> bool:
        """Whether an admin password is set (then every non-public page needs a login)."""
        return (self.credential_folder / ADMIN_FILE).exists()

    def credential(self) -> AdminCredential | None:
        """The stored credential, or None before the claim."""
        return load_credential(self.credential_folder)

    def prepare(self) -> str | None:
        """Make sure an unclaimed box has a PIN and return it; None (and no PIN) once claimed."""
        if self.claimed():
            remove_pin(self.folder, self.boot_folder)  # a claim interrupted before cleanup
            return None
        return ensure_pin(self.folder, self.boot_folder)

    async def claim(
        self, pin: str, password: str, client: str, again: str | None = None
    ) -> AdminCredential:
        """Set the admin password if ``pin`` is right; spend the PIN. Nothing changes on error."""
        if self.claimed():
            raise AlreadyClaimed()
        await self.pin_attempts.check(client)
        expected = read_pin(self.folder)
        if expected is None:
            raise WrongPin("this box has no setup PIN yet: restart chrono-edge serve to make one")
        if not secrets.compare_digest(pin.strip().encode(), expected.encode()):
            await self.pin_attempts.failed(client)
            raise WrongPin()
        check_password_rules(password, again)
        hashed = await asyncio.to_thread(hash_password, password)
        credential = await asyncio.to_thread(create_credential, self.credential_folder, hashed)
        await self.pin_attempts.succeeded(client)
        remove_pin(self.folder, self.boot_folder)
        return credential

    async def log_in(self, password: str, client: str) -> AdminCredential:
        """The credential if ``password`` is the admin's (WrongPassword, TooManyAttempts)."""
        credential = self.credential()
        if credential is None:
            raise NotClaimed()
        await self.login_attempts.check(client)
        if not await asyncio.to_thread(verify_password, credential, password):
            await self.login_attempts.failed(client)
            raise WrongPassword()
        await self.login_attempts.succeeded(client)
        return credential
