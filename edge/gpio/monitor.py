"""Drive the front panel from what the box's database says.

The panel reads the state the services already write (reader health, sync
acks, passings), so it works the same in whichever process hosts it and never
slows down the hot path of reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Sequence

from edge.domain.clock import now_us
from edge.gpio.panel import PanelState, StatusPanel
from edge.roleconfig import GpioConfig
from edge.services.readers import ReaderHealthService, ReaderStatus, SyncLink
from edge.store.database import Database

log = logging.getLogger(__name__)

POLL_S = 0.25


def panel_state(readers: Sequence[ReaderStatus], links: Sequence[SyncLink], now: int) -> PanelState:
    """Fault when a reader or a link is down (or no reader ever reported), else reading or ready."""
    if not readers or any(not r.usable for r in readers) or any(link.failing for link in links):
        return PanelState.FAULT
    if any(r.reading(now) for r in readers):
        return PanelState.READING
    return PanelState.READY


def shut_down(config: GpioConfig) -> None:
    """Run the configured shutdown command (the button was held)."""
    log.warning("shutdown button held: running %s", " ".join(config.shutdown_command))
    try:
        subprocess.run(config.shutdown_command, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        log.error("shutdown command failed: %s", error)


class PanelMonitor:
    """Polls the database and mirrors it on the LED and the buzzer."""

    def __init__(self, db: Database, panel: StatusPanel, *, poll_s: float = POLL_S) -> None:
        self.health = ReaderHealthService(db)
        self.panel = panel
        self.poll_s = poll_s

    async def run(self, stop: asyncio.Event) -> None:
        """Update the panel until ``stop`` is set; beep for passings recorded meanwhile."""
        _, cursor = await self.health.passings_since(now_us())
        while not stop.is_set():
            cursor = await self.update(cursor)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_s)

    async def update(self, cursor: int) -> int:
        """One poll: set the LED, beep for new passings; return the new passing cursor."""
        now = now_us()
        readers = await self.health.list_readers(now=now)
        links = await self.health.links()
        self.panel.show(panel_state(readers, links, now))
        count, cursor = await self.health.passings_since(cursor)
        self.panel.beep(count)
        return cursor
