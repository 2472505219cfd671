"""Who is calling: an admin (dashboard session or HTTP Basic) or a device (Bearer token)."""

from __future__ import annotations

import base64
import binascii
import time
from collections import defaultdict, deque
from typing import Any

from litestar import Request

from central.errors import CentralError, Unauthorized
from central.services.users import UserService

SESSION_USER = "admin"


class TooManyAttempts(CentralError):
    """Too many failed logins from this address; wait a few minutes and try again."""

    http_status = 429


class LoginThrottle:
    """At most ``limit`` failed logins per address within ``window_s`` (brute force stops here)."""

    def __init__(self, limit: int = 10, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def check(self, address: str) -> None:
        """Refuse an address that failed too often lately."""
        recent = self._failures[address]
        while recent and recent[0] < time.monotonic() - self.window_s:
            recent.popleft()
        if len(recent) >= self.limit:
            raise TooManyAttempts()

    def failed(self, address: str) -> None:
        """Count a failed attempt."""
        self._failures[address].append(time.monotonic())


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
