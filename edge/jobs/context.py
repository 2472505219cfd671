"""What a running job can do: log, report progress, notice it was cancelled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.jobs.queue import JobQueue


class JobCancelled(Exception):
    """The job was cancelled; raised inside it at its next progress or heartbeat call."""


class JobContext:
    """Handed to a job handler: its id, attempt, and the means to talk to the queue."""

    def __init__(
        self,
        queue: JobQueue,
        job_id: int,
        attempt: int,
        holder_pid: int,
        resources: Mapping[str, Any] | None = None,
    ) -> None:
        self.queue = queue
        self.job_id = job_id
        self.attempt = attempt
        self._pid = holder_pid
        self.resources: Mapping[str, Any] = resources or {}
        """What the worker was started with (``db_path``, ``role_file``...)."""

    async def log(self, message: str, level: str = "info") -> None:
        """Append a line to the job's log."""
        await self.queue.log(self.job_id, message, level)

    async def progress(self, percent: int, stage: str = "") -> None:
        """Report progress (0–100) and a stage label; raises JobCancelled if cancelled."""
        await self.heartbeat(max(0, min(100, percent)), stage)

    async def heartbeat(self, percent: int | None = None, stage: str | None = None) -> None:
        """Tell the queue the job is alive; raises JobCancelled if it was cancelled."""
        if await self.queue.beat(self.job_id, self.attempt, self._pid, percent, stage):
            raise JobCancelled(f"job {self.job_id} was cancelled")
