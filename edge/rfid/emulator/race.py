"""The ``race`` scenario: runners crossing a finish line watched by several antennas.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.faults import Faults
from edge.rfid.emulator.scenarios import US_PER_S, Scenario, TagRead, epc_for_bib


@dataclass(frozen=True, slots=True)
class Crossing:
    """The truth of one runner: when the bib's tag crossed the line."""

    bib: int
    epc: bytes
    offset_us: int


@dataclass(frozen=True)
class RaceScenario(Scenario):
    """N runners finishing over a spread of time, seen by every antenna of the mat."""

    name: ClassVar[str] = "race"
    runners: int = 200
    first_bib: int = 1
    first_finish_s: float = 5.0  # the leader crosses this long after the ROSpec starts
    spread_s: float = 600.0  # the last runner of a wave crosses at most this long after its leader
    waves: int = 1  # runners start in this many waves of consecutive bibs...
    wave_gap_s: float = 0.0  # ...each this long after the one before
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
        if min(self.runners, self.first_finish_s, self.spread_s, self.wave_gap_s) < 0:
            raise InvalidScenario("runners, first finish, spread and wave gap cannot be negative")
        if self.waves < 1:
            raise InvalidScenario("a race has at least one wave")
        if not self.antennas or min(self.read_rate_hz) <= 0 or min(self.speed_mps) <= 0:
            raise InvalidScenario("a race needs antennas, positive read rates and speeds")

    def crossings(self) -> list[Crossing]:
        """Return every runner's true crossing, earliest first."""
        rng = random.Random(self.seed)
        found = []
        for n in range(self.runners):
            bib = self.first_bib + n
            # Beta(2, 5): a bunch behind the leaders and a long tail of walkers.
            behind_s = 0.0 if n == 0 else self.spread_s * rng.betavariate(2.0, 5.0)
            behind_s += self.wave_of(n) * self.wave_gap_s
            offset_us = round((self.first_finish_s + behind_s) * US_PER_S)
            found.append(Crossing(bib, epc_for_bib(bib), offset_us))
        return sorted(found, key=lambda crossing: crossing.offset_us)

    def wave_of(self, n: int) -> int:
        """The wave (0 first) of the ``n``-th runner: waves are blocks of consecutive bibs."""
        return n * self.waves // self.runners if self.runners else 0

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
        rng = random.Random(f"{self.seed}:{crossing.bib}")
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
