"""Who is calling: an admin (dashboard session or HTTP Basic) or a device (Bearer token)."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from central.errors import Unauthorized
from central.services.users import UserService
from central.store.models import failed_attempt
from edge.auth.errors import TooManyAttempts
from edge.auth.limiter import LastingLimiter

SESSION_USER = "admin"
SESSION_MAX_AGE_S = 14 * 24 * 3600
"""How long a dashboard login lasts."""

__all__ = ["SESSION_USER", "LoginThrottle", "TooManyAttempts", "admin_of"]


class LoginThrottle(LastingLimiter):
    """At most ``limit`` failed logins per address within ``window_s`` (brute force stops here).

    The box's limiter: the failures are kept in central's database, so a restart keeps
    them, and a refusal says when to try again (429 with Retry-After).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        limit: int = 10,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(engine, failed_attempt, "login", limit, window_s, clock)


async def admin_of(
    request: Request[Any, Any, Any], users: UserService, throttle: LoginThrottle
) -> str:
    """The admin's username, from the session or from Basic credentials; else Unauthorized."""
    user = request.session.get(SESSION_USER) if "session" in request.scope else None
    if isinstance(user, str) and user:
        return user
    scheme, _, encoded = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("log in, or send admin credentials with HTTP Basic")
    address = request.client.host if request.client else "?"
    await throttle.check(address)
    try:
        name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise Unauthorized("malformed Basic credentials") from error
    admin = await users.authenticate(name, password)
    if admin is None:
        await throttle.failed(address)
        raise Unauthorized("wrong username or password")
    return admin.username
