"""Tags crossing one timing mat, and the reads each crossing makes: the pass model.

Every scenario that plays people crossing a line (``race``, ``laps``, ``relay``,
``triathlon``) says only *when* which bib crosses (a list of ``Crossing``); this
module turns each crossing into a pass of reads and merges the passes in time order.

Model (stated assumptions, not fitted to any estimator): a runner at speed v crosses the
line at t0; an antenna's field falls off as the square of the distance, so the tag's
RSSI at that antenna is a parabola in time, peak − c·v²·(t − t0 − shift)², where the
peak (−60 to −45 dBm) depends on where the tag sits on the body and the farther
antennas see it a few dB weaker. The tag answers only above the reader's sensitivity;
each antenna then reads it at random instants (20–60 reads/s) with Gaussian noise, and
the reader rounds RSSI to whole dBm as LLRP's PeakRSSI does.
"""

from __future__ import annotations

import heapq
import math
import random
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.faults import Faults
from edge.rfid.emulator.scenarios import US_PER_S, Scenario, TagRead


@dataclass(frozen=True, slots=True)
class Crossing:
    """The truth of one crossing: when the bib's tag crossed the mat.

    ``label`` says what the crossing is in its scenario ("lap 3", "T1_IN"...); it also
    keys the pass's random draws, so two crossings of one tag make two different passes.
    """

    bib: int
    epc: bytes
    offset_us: int
    label: str = ""


def wave_of(n: int, count: int, waves: int) -> int:
    """The wave (0 first) of the ``n``-th of ``count`` people: waves are blocks in bib order."""
    return n * waves // count if count else 0


def check_share(what: str, share: float) -> None:
    """Refuse a share of people (or crossings) that is not between 0 and 1."""
    if not 0 <= share <= 1:
        raise InvalidScenario(f"the share of {what} is between 0 and 1, not {share:g}")


def to_offset_us(seconds: float) -> int:
    """A scenario offset in whole microseconds from seconds."""
    return round(seconds * US_PER_S)


@dataclass(frozen=True)
class CrossingScenario(Scenario):
    """People crossing a mat seen by every antenna; subclasses say who crosses when."""

    antennas: tuple[int, ...] = (1, 2, 3, 4)
    read_rate_hz: tuple[float, float] = (20.0, 60.0)  # per antenna and pass
    peak_dbm: tuple[float, float] = (-60.0, -45.0)
    farther_antenna_db: tuple[float, float] = (0.0, 6.0)
    speed_mps: tuple[float, float] = (2.0, 6.0)  # walkers to sprinters
    falloff_db_per_m2: float = 8.0
    sensitivity_dbm: float = -80.0
    noise_db: float = 1.5
    seed: int = 2026
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if not self.antennas or min(self.read_rate_hz) <= 0 or min(self.speed_mps) <= 0:
            raise InvalidScenario("a scenario needs antennas, positive read rates and speeds")

    @abstractmethod
    def crossings(self) -> list[Crossing]:
        """Return every true crossing of the mat, earliest first."""

    def reads(self) -> Iterator[TagRead]:
        """Yield the reads of every pass in time order, computing passes only as they come."""
        passes = sorted(
            ((self._window_start_us(c), c) for c in self.crossings()), key=lambda p: p[0]
        )
        pending: list[tuple[int, int, TagRead]] = []
        tie = 0  # keeps heap entries comparable without comparing TagReads
        next_pass = 0
        while next_pass < len(passes) or pending:
            horizon = pending[0][0] if pending else math.inf
            while next_pass < len(passes) and passes[next_pass][0] <= horizon:
                for read in self._pass(passes[next_pass][1]):
                    heapq.heappush(pending, (read.offset_us, tie, read))
                    tie += 1
                next_pass += 1
                horizon = pending[0][0] if pending else math.inf
            if pending:
                yield heapq.heappop(pending)[2]

    def _window_start_us(self, crossing: Crossing) -> int:
        # The earliest a tag can be read: strongest peak, slowest runner, some shift.
        falloff = self.falloff_db_per_m2 * min(self.speed_mps) ** 2
        half_s = math.sqrt(max(0.0, max(self.peak_dbm) - self.sensitivity_dbm) / falloff)
        return crossing.offset_us - round((half_s + 0.2) * US_PER_S)

    def _pass(self, crossing: Crossing) -> list[TagRead]:
        # An unlabelled crossing keeps the key the race scenario always used: same reads.
        key = f"{self.seed}:{crossing.bib}" + (f":{crossing.label}" if crossing.label else "")
        rng = random.Random(key)
        falloff = self.falloff_db_per_m2 * rng.uniform(*self.speed_mps) ** 2  # dB per s²
        peak = rng.uniform(*self.peak_dbm)
        t0_s = crossing.offset_us / US_PER_S
        reads = []
        for antenna in self.antennas:
            antenna_peak = peak - rng.uniform(*self.farther_antenna_db)
            margin = antenna_peak - self.sensitivity_dbm
            if margin <= 0:
                continue
            # Antennas a little apart along the line; bounded so _window_start_us holds.
            centre_s = t0_s + max(-0.15, min(0.15, rng.gauss(0.0, 0.03)))
            half_s = math.sqrt(margin / falloff)
            rate = rng.uniform(*self.read_rate_hz)
            t_s = centre_s - half_s + rng.expovariate(rate)
            while t_s < centre_s + half_s:
                rssi = antenna_peak - falloff * (t_s - centre_s) ** 2 + rng.gauss(0, self.noise_db)
                if t_s >= 0 and rssi >= self.sensitivity_dbm:
                    reads.append(TagRead(round(t_s * US_PER_S), crossing.epc, antenna, round(rssi)))
                t_s += rng.expovariate(rate)
        return reads
