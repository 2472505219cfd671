"""The ``race`` scenario: runners crossing a finish line once each, over a spread of time.

The passes of reads they make come from the shared pass model (``crossings.py``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from edge.rfid.emulator.crossings import Crossing, CrossingScenario, to_offset_us, wave_of
from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.scenarios import epc_for_bib


@dataclass(frozen=True)
class RaceScenario(CrossingScenario):
    """N runners finishing over a spread of time, seen by every antenna of the mat."""

    name: ClassVar[str] = "race"
    runners: int = 200
    first_bib: int = 1
    first_finish_s: float = 5.0  # the leader crosses this long after the ROSpec starts
    spread_s: float = 600.0  # the last runner of a wave crosses at most this long after its leader
    waves: int = 1  # runners start in this many waves of consecutive bibs...
    wave_gap_s: float = 0.0  # ...each this long after the one before

    def __post_init__(self) -> None:
        if min(self.runners, self.first_finish_s, self.spread_s, self.wave_gap_s) < 0:
            raise InvalidScenario("runners, first finish, spread and wave gap cannot be negative")
        if self.waves < 1:
            raise InvalidScenario("a race has at least one wave")
        super().__post_init__()

    def crossings(self) -> list[Crossing]:
        """Return every runner's true crossing, earliest first."""
        rng = random.Random(self.seed)
        found = []
        for n in range(self.runners):
            bib = self.first_bib + n
            # Beta(2, 5): a bunch behind the leaders and a long tail of walkers.
            behind_s = 0.0 if n == 0 else self.spread_s * rng.betavariate(2.0, 5.0)
            behind_s += self.wave_of(n) * self.wave_gap_s
            found.append(
                Crossing(bib, epc_for_bib(bib), to_offset_us(self.first_finish_s + behind_s))
            )
        return sorted(found, key=lambda crossing: crossing.offset_us)

    def wave_of(self, n: int) -> int:
        """The wave (0 first) of the ``n``-th runner: waves are blocks of consecutive bibs."""
        return wave_of(n, self.runners, self.waves)
