"""Tag reports: the scenario's reads gathered into RO_ACCESS_REPORTs as the ROSpec asks.

A reader aggregates the reads of one tag by one antenna into one TagReportData (seen
count, first and last seen, peak RSSI) until a report trigger fires: N entries, the end
of an AISpec (after N tag observations or a timeout), a period, or the end of the ROSpec.
With sllurp's ``report_every_n_tags=1`` every single read is its own report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from edge.rfid.emulator.commands import InventorySpec
from edge.rfid.emulator.frames import TagReportEntry
from edge.rfid.emulator.scenarios import Scenario, TagRead
from edge.rfid.emulator.timeline import ReaderClock, Timeline

SendReport = Callable[[list[TagReportEntry]], Awaitable[bool]]


@dataclass(slots=True)
class _Seen:
    first_us: int
    last_us: int
    peak_dbm: int
    count: int


class ReportBatch:
    """TagReportData being gathered: one entry per (tag, antenna)."""

    def __init__(self, rospec_id: int, to_reader_us: Callable[[int], int]) -> None:
        self._rospec_id = rospec_id
        self._to_reader_us = to_reader_us
        self._seen: dict[tuple[bytes, int], _Seen] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, read: TagRead) -> None:
        """Count one read into its tag's entry."""
        seen = self._seen.get((read.epc, read.antenna_id))
        if seen is None:
            self._seen[(read.epc, read.antenna_id)] = _Seen(
                read.offset_us, read.offset_us, read.peak_rssi_dbm, 1
            )
            return
        seen.last_us = read.offset_us
        seen.peak_dbm = max(seen.peak_dbm, read.peak_rssi_dbm)
        seen.count += 1

    def take(self) -> list[TagReportEntry]:
        """Return the gathered entries, stamped with the reader's clock, and start afresh."""
        entries = [
            TagReportEntry(
                epc=epc,
                antenna_id=antenna,
                peak_rssi_dbm=seen.peak_dbm,
                first_seen_us=self._to_reader_us(seen.first_us),
                last_seen_us=self._to_reader_us(seen.last_us),
                seen_count=seen.count,
                rospec_id=self._rospec_id,
            )
            for (epc, antenna), seen in self._seen.items()
        ]
        self._seen.clear()
        return entries


class ReportStream:
    """Plays the scenario to one connection while one ROSpec is active."""

    def __init__(
        self,
        spec: InventorySpec,
        scenario: Scenario,
        timeline: Timeline,
        clock: ReaderClock,
        send: SendReport,
        *,
        on_missed: Callable[[int], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> None:
        self._spec = spec
        self._on_missed = on_missed  # told how many reads played before this stream began
        self._on_start = on_start  # told the reader's time of the scenario's start, once
        self._scenario = scenario
        self._timeline = timeline
        self._clock = clock
        self._send = send
        self._batch = ReportBatch(spec.rospec_id, lambda us: clock.at(timeline.wall_us(us)))
        trigger = spec.report_trigger
        self._max_entries = spec.tags_per_report if trigger.startswith("Upon_N_Tags") else 0
        self._aispec_end_reports = trigger.endswith("AISpec")
        self._aispec_start_us = 0
        self._aispec_tags = 0
        self._period_start_us = 0
        self._open = True

    async def run(self) -> None:
        """Send reports until the scenario ends, the ROSpec's duration is over, or send fails."""
        if not self._timeline.started:
            self._timeline.start()
            if self._on_start is not None:
                self._on_start(self._clock.at(self._timeline.wall_us(0)))
        start_us = self._timeline.elapsed_us()
        self._aispec_start_us = self._period_start_us = start_us
        end_us = start_us + self._spec.duration_ms * 1000 if self._spec.duration_ms else None
        antennas = self._spec.antennas
        missed, played_until_us = 0, self._timeline.played_until_us
        for read in self._scenario.reads():
            if antennas and read.antenna_id not in antennas:
                continue
            if read.offset_us < start_us:
                # Played while no client was inventorying (not counted again if an earlier
                # stream already went past it).
                missed += read.offset_us >= played_until_us
                continue
            if missed and self._on_missed is not None:
                self._on_missed(missed)
                missed = 0
            if end_us is not None and read.offset_us >= end_us:
                break
            await self._advance_to(read.offset_us)
            if not self._open:
                return
            self._timeline.played_until_us = read.offset_us + 1
            self._batch.add(read)
            self._aispec_tags += 1
            if self._spec.tags_per_aispec and self._aispec_tags >= self._spec.tags_per_aispec:
                await self._end_aispec(read.offset_us)
            elif self._max_entries and len(self._batch) >= self._max_entries:
                await self._flush()
        if end_us is not None:
            await self._advance_to(end_us)
            if self._spec.report_trigger != "None":
                await self._flush()  # the end of the ROSpec reports what is left

    async def _advance_to(self, offset_us: int) -> None:
        # Sleep until offset_us, firing the AISpec and period timers due on the way.
        while self._open:
            timer_us = self._next_timer_us()
            if timer_us is not None and timer_us <= offset_us:
                await self._sleep_until(timer_us)
                if self._spec.aispec_ms and timer_us == self._aispec_start_us + self._aispec_ms_us:
                    await self._end_aispec(timer_us)
                else:
                    self._period_start_us = timer_us
                    await self._flush()
                continue
            await self._sleep_until(offset_us)
            return

    @property
    def _aispec_ms_us(self) -> int:
        return self._spec.aispec_ms * 1000

    def _next_timer_us(self) -> int | None:
        timers = []
        if self._spec.aispec_ms:
            timers.append(self._aispec_start_us + self._aispec_ms_us)
        if self._spec.report_period_ms:
            timers.append(self._period_start_us + self._spec.report_period_ms * 1000)
        return min(timers) if timers else None

    async def _end_aispec(self, at_us: int) -> None:
        self._aispec_start_us = at_us
        self._aispec_tags = 0
        if self._aispec_end_reports:
            await self._flush()

    async def _flush(self) -> None:
        if len(self._batch) and self._open:
            self._open = await self._send(self._batch.take())

    async def _sleep_until(self, offset_us: int) -> None:
        # Always yield, so a stream running late never starves the connection's other tasks.
        delay = self._timeline.due(offset_us) - time.monotonic()
        await asyncio.sleep(max(0.0, delay))
