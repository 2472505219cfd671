"""The task that prunes expired dashboard sessions while central runs.

Central may run for months without a restart; a session file outlives its cookie
unless something deletes it. The box prunes with its ``sessions.prune`` job.
"""

from __future__ import annotations

import logging

from central.services.periodic import PeriodicTask
from edge.auth.sessions import SessionFiles

log = logging.getLogger(__name__)


def session_pruner(sessions: SessionFiles, interval_s: float) -> PeriodicTask:
    """A task of the central app: ``SessionFiles.prune`` now, then every ``interval_s``."""

    async def prune() -> None:
        try:
            await sessions.prune()
        except OSError as error:  # the next round retries
            log.error("sessions not pruned: %s", error)

    return PeriodicTask("session-prune", prune, interval_s)
