"""Brute-force limit: so many failures per client address in a sliding window, then wait.

``AttemptLimiter`` counts in memory; ``LastingLimiter`` also keeps every failure in
the server's database (``edge.domain.attempts``) and reads them back after a restart,
so restarting the box or central never hands a guesser a fresh set of tries.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

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
            # Never longer than a window: a clock set back must not lock anyone out for days.
            wait = min(self.window_s, recent[0] + self.window_s - self._clock())
            return max(1, math.ceil(wait))

    def check(self, key: str) -> None:
        """Raise TooManyAttempts (with the seconds to wait) if ``key`` is locked out."""
        wait = self.wait_s(key)
        if wait:
            raise TooManyAttempts(wait)

    def failed(self, key: str, at: float | None = None) -> float:
        """Count one failure of ``key`` (now, or ``at`` on the clock); return its time."""
        with self._lock:
            when = self._clock() if at is None else at
            self._recent(key).append(when)
            self._sweep()
            return when

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


class LastingLimiter:
    """An AttemptLimiter whose failures are also rows of ``table`` (``scope`` tells them apart).

    Decisions are taken in memory; the database is written on each failure and read
    once, before the first decision after a start. The clock is the wall clock
    (seconds since the epoch), the only one that means something after a restart.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        scope: str,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.memory = AttemptLimiter(max_failures, window_s, clock)
        self.scope = scope
        self._engine = engine
        self._table = table
        self._clock = clock
        self._loaded = False
        self._loading = asyncio.Lock()

    async def wait_s(self, key: str) -> int:
        """Seconds ``key`` must wait before its next attempt (0: it may try now)."""
        await self._load()
        return self.memory.wait_s(key)

    async def check(self, key: str) -> None:
        """Raise TooManyAttempts (with the seconds to wait, for Retry-After) if locked out."""
        await self._load()
        self.memory.check(key)

    async def failed(self, key: str) -> None:
        """Count one failure of ``key``, in memory and in the database."""
        await self._load()
        at_us = int(self.memory.failed(key) * 1_000_000)
        oldest_us = at_us - int(self.memory.window_s * 1_000_000)
        table = self._table
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(table).values(scope=self.scope, client=key, at_us=at_us)
            )
            # Rows that left the window count no more: the table stays the size of an attack.
            await connection.execute(
                delete(table).where(table.c.scope == self.scope, table.c.at_us <= oldest_us)
            )

    async def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures (the right secret was given)."""
        await self._load()
        self.memory.succeeded(key)
        table = self._table
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(table).where(table.c.scope == self.scope, table.c.client == key)
            )

    async def _load(self) -> None:
        if self._loaded:
            return
        async with self._loading:
            if self._loaded:
                return
            table = self._table
            oldest_us = int((self._clock() - self.memory.window_s) * 1_000_000)
            query = (
                select(table.c.client, table.c.at_us)
                .where(table.c.scope == self.scope, table.c.at_us > oldest_us)
                .order_by(table.c.at_us)
            )
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
            for client, at_us in rows:
                self.memory.failed(client, at=at_us / 1_000_000)
            self._loaded = True
