"""Brute-force limit: five failures in five minutes from one address, then wait."""

from __future__ import annotations

import asyncio

import pytest

from edge.auth.errors import TooManyAttempts
from edge.auth.limiter import AttemptLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_sixth_try_after_five_failures_waits_for_the_oldest_to_expire():
    clock = Clock()
    limiter = AttemptLimiter(max_failures=5, window_s=300, clock=clock)
    for _ in range(5):
        limiter.check("10.0.0.5")
        limiter.failed("10.0.0.5")
        clock.now += 10
    with pytest.raises(TooManyAttempts) as refused:
        limiter.check("10.0.0.5")
    assert refused.value.retry_after_s == 300 - 50
    limiter.check("10.0.0.6")  # another address is not locked out
    clock.now += 250
    limiter.check("10.0.0.5")  # the first failure left the window


def test_a_success_forgets_the_failures():
    clock = Clock()
    limiter = AttemptLimiter(max_failures=2, window_s=60, clock=clock)
    limiter.failed("a")
    limiter.succeeded("a")
    limiter.failed("a")
    limiter.check("a")
    limiter.failed("a")
    with pytest.raises(TooManyAttempts):
        limiter.check("a")


def test_an_address_is_forgotten_once_its_failures_leave_the_window():
    clock = Clock()
    limiter = AttemptLimiter(max_failures=5, window_s=300, clock=clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        limiter.failed(address)  # one failure each, and they never come back
    assert len(limiter) == 3
    clock.now += 301
    limiter.failed("10.0.0.9")
    assert len(limiter) == 1  # only the address that failed lately is remembered


async def test_central_logins_are_limited_by_the_same_limiter_and_forgotten_too(tmp_path):
    from central.store import migrate
    from central.store.database import CentralDatabase
    from central.web.auth import LoginThrottle
    from central.web.auth import TooManyAttempts as CentralTooManyAttempts

    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    await asyncio.to_thread(migrate.upgrade, url)  # it runs an event loop of its own
    database = CentralDatabase(url)
    clock = Clock()
    try:
        throttle = LoginThrottle(database.engine, limit=10, window_s=300, clock=clock)
        for _ in range(10):
            await throttle.check("10.0.0.5")
            await throttle.failed("10.0.0.5")
        with pytest.raises(CentralTooManyAttempts) as refused:
            await throttle.check("10.0.0.5")
        assert refused.value.headers() == {"Retry-After": "300"}
        clock.now += 301
        await throttle.check("10.0.0.5")  # the failures left the window: it may try again
        assert len(throttle.memory) == 0  # and central no longer remembers the address
    finally:
        await database.close()


def test_a_clock_set_back_never_locks_out_for_longer_than_a_window():
    clock = Clock()
    limiter = AttemptLimiter(max_failures=1, window_s=300, clock=clock)
    limiter.failed("a")
    clock.now -= 86400  # the Pi has no real-time clock: NTP may set it back a day
    with pytest.raises(TooManyAttempts) as refused:
        limiter.check("a")
    assert refused.value.retry_after_s == 300
