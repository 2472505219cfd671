"""Brute-force limit: so many failures per client address in a sliding window, then wait.

In-process and in memory on purpose: one ``serve`` process answers the pages, and a
restart forgetting the counts costs an attacker a reboot of the box per 5 guesses.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from edge.auth.errors import TooManyAttempts

MAX_FAILURES = 5
WINDOW_S = 300.0


class AttemptLimiter:
    """Counts failures per key (client address) and refuses a key that failed too often."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    def __len__(self) -> int:
        """How many keys have failures remembered."""
        with self._lock:
            return len(self._failures)

    def wait_s(self, key: str) -> int:
        """Seconds ``key`` must wait before its next attempt (0: it may try now)."""
        with self._lock:
            recent = self._recent(key)
            if not recent:
                self._failures.pop(key, None)  # keep memory bounded by recent offenders
                return 0
            if len(recent) < self.max_failures:
                return 0
            return max(1, math.ceil(recent[0] + self.window_s - self._clock()))

    def check(self, key: str) -> None:
        """Raise TooManyAttempts (with the seconds to wait) if ``key`` is locked out."""
        wait = self.wait_s(key)
        if wait:
            raise TooManyAttempts(wait)

    def failed(self, key: str) -> None:
        """Count one failure of ``key``."""
        with self._lock:
            self._recent(key).append(self._clock())
            self._sweep()

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures (the right secret was given)."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        oldest = self._clock() - self.window_s
        while failures and failures[0] <= oldest:
            failures.popleft()
        return failures

    def _sweep(self) -> None:
        # Once a window, forget every key whose failures all left it: an address
        # that failed once and never came back must not stay in memory forever.
        now = self._clock()
        if now - self._swept < self.window_s:
            return
        self._swept = now
        oldest = now - self.window_s
        for key in [k for k, failures in self._failures.items() if failures[-1] <= oldest]:
            del self._failures[key]
