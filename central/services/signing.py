"""Central's periodic re-signing of the update metadata, so boxes never see it expire.

The timestamp lives one day and is re-signed when 12 h remain; the snapshot and
targets are renewed long before their own expiry (``ota.repository.RENEW_WITHIN``).
A channel without a repository yet (no ``chrono-ota keys init``) is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from pathlib import Path

from ota.errors import OtaError
from ota.repository import CHANNELS, METADATA_FOLDER, channel_folder, refresh_timestamp

log = logging.getLogger(__name__)


def refresh_channels(repo: Path, *, now: datetime | None = None) -> list[str]:
    """Re-sign what is due in every initialised channel; return the channels re-signed."""
    renewed = []
    for channel in CHANNELS:
        if not (channel_folder(repo, channel) / METADATA_FOLDER / "timestamp.json").exists():
            continue
        if refresh_timestamp(repo, channel, now=now):
            renewed.append(channel)
    return renewed


class MetadataRefresher:
    """A task of the central app: ``refresh_channels`` now, then every ``interval_s``."""

    def __init__(self, repo: Path, interval_s: float) -> None:
        self.repo = repo
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop (app start-up)."""
        self._task = asyncio.create_task(self._run(), name="ota-metadata-refresh")

    async def stop(self) -> None:
        """Stop the loop (app shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                renewed = await asyncio.to_thread(refresh_channels, self.repo)
            except (OtaError, OSError) as error:
                # The next round retries; the timestamp still has hours to live.
                log.error("update metadata not re-signed: %s", error)
            else:
                if renewed:
                    log.info("update metadata re-signed: %s", ", ".join(renewed))
            await asyncio.sleep(self.interval_s)
