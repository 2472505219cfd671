"""Central's periodic re-signing of the update metadata, so boxes never see it expire.

The timestamp lives one day and is re-signed when 12 h remain; the snapshot and
targets are renewed long before their own expiry (``ota.repository.RENEW_WITHIN``).
A channel without a repository yet (no ``chrono-ota keys init``) is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path

from central.services.periodic import PeriodicTask
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


def metadata_refresher(repo: Path, interval_s: float) -> PeriodicTask:
    """A task of the central app: ``refresh_channels`` now, then every ``interval_s``."""

    async def refresh() -> None:
        try:
            renewed = await asyncio.to_thread(refresh_channels, repo)
        except (OtaError, OSError) as error:
            # The next round retries; the timestamp still has hours to live.
            log.error("update metadata not re-signed: %s", error)
        else:
            if renewed:
                log.info("update metadata re-signed: %s", ", ".join(renewed))

    return PeriodicTask("ota-metadata-refresh", refresh, interval_s)
