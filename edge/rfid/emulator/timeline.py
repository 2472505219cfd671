"""The emulated reader's UTC clock, and the timeline its scenario plays on.

A scenario is a race in the real world: it starts once (when a client first enables an
ROSpec) and goes on whoever is connected, so a client that reconnects misses the runners
who crossed meanwhile, as it would at a real finish line.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from edge.domain.clock import to_us


def host_now_us() -> int:
    """Return the host's wall clock in microseconds since the Unix epoch."""
    return time.time_ns() // 1000


def offset_for_year(year: int, *, now_us: int | None = None) -> int:
    """Return the clock offset that makes a reader read 1 January of year, 00:00 UTC, now."""
    start = to_us(datetime(year, 1, 1, tzinfo=UTC))
    return start - (host_now_us() if now_us is None else now_us)


class ReaderClock:
    """A reader's UTC clock: the host clock shifted by an offset (no RTC, no NTP), and
    running ``drift_ppm`` µs per second fast (negative: slow) from when it was made, as a
    reader's quartz does."""

    def __init__(self, offset_us: int = 0, drift_ppm: float = 0.0) -> None:
        self.offset_us = offset_us
        self.drift_ppm = drift_ppm
        self._origin_us = host_now_us()

    def now_us(self) -> int:
        """Return the reader's current UTC time in microseconds since the epoch."""
        return self.at(host_now_us())

    def at(self, host_us: int) -> int:
        """Return what the reader's clock reads at a host wall-clock instant."""
        drift = round((host_us - self._origin_us) * self.drift_ppm / 1_000_000)
        return host_us + self.offset_us + drift


class Timeline:
    """When the scenario started, on the host's monotonic and wall clocks."""

    def __init__(self) -> None:
        self._start_mono: float | None = None
        self._start_wall_us = 0
        self.played_until_us = 0  # past the last read any connection's stream handled

    @property
    def started(self) -> bool:
        """Tell whether the scenario has started."""
        return self._start_mono is not None

    def start(self) -> None:
        """Start the scenario now, unless it already started."""
        if self._start_mono is None:
            self._start_mono = time.monotonic()
            self._start_wall_us = host_now_us()

    def elapsed_us(self) -> int:
        """Return the microseconds since the scenario started (0 before it starts)."""
        if self._start_mono is None:
            return 0
        return int((time.monotonic() - self._start_mono) * 1_000_000)

    def due(self, offset_us: int) -> float:
        """Return the monotonic instant of a scenario offset."""
        if self._start_mono is None:
            raise RuntimeError("the scenario has not started")
        return self._start_mono + offset_us / 1_000_000

    def wall_us(self, offset_us: int) -> int:
        """Return the host wall-clock instant, in microseconds, of a scenario offset."""
        return self._start_wall_us + offset_us
