"""Live passings: a tag's passings are recomputed once it has left the antennas' field.

A tag is *settled* when its last committed read is older than the point's quiet
gap (plus a margin for reads still on their way): no read of the current pass
can still come, so its passing is final. Only settled tags are recomputed, from
their committed reads, with ``TagPassings.rebuild_tags`` (``edge.store.tag_passings``),
which keeps the ids of passings that did not change.

"Now" is the reader's time as its reports show it: the newest committed read,
moved on by the box time since it came. A reader reports in time order, so when
its reports run late (a backlog after a reconnect, a slow link) tags still in
the field are not taken for gone, as they would be against the box's clock.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Collection, Sequence
from contextlib import suppress
from typing import Protocol

from edge.heap import give_back_free_memory
from edge.rfid.client import box_now_us
from edge.store.reads import ReadIn
from edge.store.tag_passings import RebuildReport
from edge.timing.crossing import CrossingSettings

log = logging.getLogger(__name__)

MARGIN_US = 200_000
"""How late a read may reach the database after it was made."""

INTERVAL_S = 0.2

SETTLE_TAGS = 200
"""Tags recomputed in one write transaction. A resume may take up 20,000 tags and a
million reads: at once, the reader held every one of those reads in memory (its RSS
went from 86 to 227 MB) and the write lock long enough for the web and worker
processes, whose connections wait 5 s, to fail with "database is locked". Lots of 500
still left the reader 4 MB more resident after such a resume than lots of 200 (their
reads' memory, freed but fragmented; bench_memory's race, 25 reads per tag and pass),
for 20,000 tags settled in ~21 s instead of ~12 s."""

LOT_GAP_S = 0.15
"""Pause between two lots. Another process waiting for the write lock retries every
100 ms (SQLite's busy handler): lots back to back left it no window, and a worker
starting during a resume failed after its 5 s wait, as with one long transaction."""

RESUME_WINDOW_US = 15 * 60 * 1_000_000
"""At start, tags stored this recently get their passings checked: a process killed
before they settled left them without (a longer outage needs ``passings rebuild``)."""


class DerivedPassings(Protocol):
    """Where settled tags' passings are recomputed (``TagPassings``, or ``ReadService``)."""

    async def rebuild_tags(
        self,
        slug: str,
        point: str,
        epcs: Collection[str],
        *,
        settings: CrossingSettings | None = None,
    ) -> RebuildReport:
        """Recompute the derived passings of some tags at one point."""
        ...

    async def latest_reads(self, slug: str, point: str, *, stored_since_us: int) -> dict[str, int]:
        """The newest read time of each tag whose reads were stored at the point since then."""
        ...


class LivePassings:
    """Recomputes the passings of tags that left the field, as reads are committed."""

    def __init__(
        self,
        reads: DerivedPassings,
        *,
        event_slug: str,
        point_code: str,
        settings: CrossingSettings,
        margin_us: int = MARGIN_US,
    ) -> None:
        self._reads = reads
        self._slug = event_slug
        self._point = point_code
        self._settings = settings
        self._wait_us = settings.quiet_gap_us + margin_us
        self._last_read: dict[str, int] = {}  # epc -> newest committed corrected time
        self._newest_us = 0  # newest committed corrected time of any tag
        self._newest_at_us = 0  # box time when it was committed
        self.passings_added = 0
        self.rebuilds = 0

    @property
    def open_tags(self) -> int:
        """Return how many tags have reads whose passings are not computed yet."""
        return len(self._last_read)

    def note(self, reads: Sequence[ReadIn]) -> None:
        """Remember the newest committed read of each tag."""
        last = self._last_read
        newest = self._newest_us
        for read in reads:
            time_us = read.corrected_time_us
            if time_us > last.get(read.epc, 0):
                last[read.epc] = time_us
            newest = max(newest, time_us)
        if newest > self._newest_us:
            self._newest_us, self._newest_at_us = newest, box_now_us()

    def reader_now_us(self) -> int:
        """Return the reader's current time as its reports show it (box time before any)."""
        now = box_now_us()
        if not self._newest_us:
            return now
        return self._newest_us + (now - self._newest_at_us)

    async def settle(self, *, everything: bool = False) -> int:
        """Recompute the passings of settled tags (of every noted tag if asked); count them.

        Tags are recomputed ``SETTLE_TAGS`` at a time, each lot in its own transaction.
        """
        cutoff = self.reader_now_us() - self._wait_us
        due = [epc for epc, t in self._last_read.items() if everything or t < cutoff]
        settled = 0
        for start in range(0, len(due), SETTLE_TAGS):
            if start:
                await asyncio.sleep(LOT_GAP_S)
            lot = due[start : start + SETTLE_TAGS]
            if not await self._settle_lot(lot):
                break  # the database is busy: the rest waits for the next round too
            settled += len(lot)
        if settled >= SETTLE_TAGS:
            # A big round (a resume, a mass start) is over: the table of open tags keeps
            # its size once emptied, and glibc the lots' freed memory, unless both are
            # given back (1.9 MB after a resume of 20,000 tags).
            self._last_read = dict(self._last_read)
            give_back_free_memory()
        return settled

    async def _settle_lot(self, due: list[str]) -> bool:
        """Recompute the passings of the tags ``due``; False if the database refused."""
        taken = {epc: self._last_read.pop(epc) for epc in due}
        try:
            report = await self._reads.rebuild_tags(
                self._slug, self._point, due, settings=self._settings
            )
        except sqlite3.Error as err:
            log.warning("live passings of %d tags delayed: %s", len(due), err)
            for epc, t in taken.items():  # try again next time, unless newer reads came
                self._last_read[epc] = max(t, self._last_read.get(epc, 0))
            return False
        self.rebuilds += 1
        self.passings_added += report.added
        if report.added or report.removed:
            log.debug(
                "%s: %d tags settled, %d passings added, %d removed",
                self._point,
                len(due),
                report.added,
                report.removed,
            )
        return True

    async def resume(self, window_us: int = RESUME_WINDOW_US) -> int:
        """Take up the tags stored within the window before now; return how many."""
        since_us = box_now_us() - window_us
        try:
            latest = await self._reads.latest_reads(
                self._slug, self._point, stored_since_us=since_us
            )
        except sqlite3.Error as err:
            log.warning("cannot check the passings of recent reads: %s", err)
            return 0
        for epc, time_us in latest.items():
            self._last_read[epc] = max(time_us, self._last_read.get(epc, 0))
        return len(latest)

    async def run(self, stop: asyncio.Event, interval_s: float = INTERVAL_S) -> None:
        """Take up recent tags, then settle tags every interval until ``stop`` is set."""
        await self.resume()
        while not stop.is_set():
            await self.settle()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
