"""The task that prunes expired dashboard sessions while central runs.

Central may run for months without a restart; a session file outlives its cookie
unless something deletes it. The box prunes with its ``sessions.prune`` job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from edge.auth.sessions import SessionFiles

log = logging.getLogger(__name__)


class SessionPruner:
    """A task of the central app: ``SessionFiles.prune`` now, then every ``interval_s``."""

    def __init__(self, sessions: SessionFiles, interval_s: float) -> None:
        self.sessions = sessions
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop (app start-up)."""
        self._task = asyncio.create_task(self._run(), name="session-prune")

    async def stop(self) -> None:
        """Stop the loop (app shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.sessions.prune()
            except OSError as error:  # the next round retries
                log.error("sessions not pruned: %s", error)
            await asyncio.sleep(self.interval_s)
