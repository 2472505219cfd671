"""Brute-force limit: five failures in five minutes from one address, then wait."""

from __future__ import annotations

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
