"""A loop of the central app: some work now, then again every interval, until shutdown.

Central may run for months without a restart; what must happen from time to time
(re-signing update metadata, pruning sessions) runs in such a loop, started and
stopped with the app. The work handles its own errors: one failed round never ends
the loop, the next round retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class PeriodicTask:
    """``work`` at start-up, then every ``interval_s``; ``start``/``stop`` are app hooks."""

    def __init__(self, name: str, work: Callable[[], Awaitable[None]], interval_s: float) -> None:
        self.name = name
        self.work = work
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop (app start-up)."""
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop the loop (app shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self.work()
            await asyncio.sleep(self.interval_s)
