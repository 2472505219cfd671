"""A SLAVE's clock offset to its MASTER, measured the NTP way over the forwarding link.

One exchange gives four timestamps: t1 the SLAVE sends, t2 the MASTER receives, t3 the
MASTER answers, t4 the SLAVE receives (t1, t4 on the SLAVE's clock; t2, t3 on the
MASTER's). Then ``offset = ((t2 - t1) + (t3 - t4)) / 2`` is how far the MASTER's clock is
ahead of the SLAVE's, and ``delay = (t4 - t1) - (t3 - t2)`` the round trip on the wire;
the offset's error is at most half the delay, so of the last few samples the one with
the smallest delay is kept (as NTP's clock filter does).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

WINDOW = 8
"""How many recent samples the best is chosen from."""


@dataclass(frozen=True)
class ClockSample:
    """One exchange: the SLAVE's clock minus the MASTER's, and the round trip (µs)."""

    offset_us: int  # SLAVE minus MASTER: positive when the SLAVE's clock is ahead
    delay_us: int
    measured_us: int  # when, on the SLAVE's clock (t4)

    @classmethod
    def from_timestamps(cls, t1: int, t2: int, t3: int, t4: int) -> ClockSample:
        """The sample of one exchange (t1, t4 on the SLAVE's clock; t2, t3 on the MASTER's)."""
        master_ahead = ((t2 - t1) + (t3 - t4)) / 2
        delay = (t4 - t1) - (t3 - t2)
        return cls(offset_us=round(-master_ahead), delay_us=max(0, delay), measured_us=t4)


class OffsetFilter:
    """The last ``window`` samples; the best is the one with the smallest delay."""

    def __init__(self, window: int = WINDOW) -> None:
        self._samples: deque[ClockSample] = deque(maxlen=window)

    def add(self, sample: ClockSample) -> ClockSample:
        """Keep ``sample``; return the best of the window."""
        self._samples.append(sample)
        return self.best()

    def best(self) -> ClockSample:
        """The sample with the smallest round trip (ValueError while there is none)."""
        if not self._samples:
            raise ValueError("no clock sample yet")
        return min(self._samples, key=lambda s: s.delay_us)

    def __len__(self) -> int:
        return len(self._samples)
