"""Who is calling: an admin (dashboard session or HTTP Basic) or a device (Bearer token)."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any

from litestar import Request

from central.errors import CentralError, Unauthorized
from central.services.users import UserService
from edge.auth.limiter import AttemptLimiter

SESSION_USER = "admin"
SESSION_MAX_AGE_S = 14 * 24 * 3600
"""How long a dashboard login lasts."""


class TooManyAttempts(CentralError):
    """Too many failed logins from this address; wait a few minutes and try again."""

    http_status = 429


class LoginThrottle(AttemptLimiter):
    """At most ``limit`` failed logins per address within ``window_s`` (brute force stops here).

    The box's limiter, so an address is forgotten once its failures leave the window.
    """

    def __init__(
        self, limit: int = 10, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(max_failures=limit, window_s=window_s, clock=clock)

    def check(self, key: str) -> None:
        """Refuse an address that failed too often lately."""
        if self.wait_s(key):
            raise TooManyAttempts()


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
    throttle.check(address)
    try:
        name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise Unauthorized("malformed Basic credentials") from error
    admin = await users.authenticate(name, password)
    if admin is None:
        throttle.failed(address)
        raise Unauthorized("wrong username or password")
    return admin.username
