"""The ``laps`` scenario: riders or runners lapping a circuit over one mat.

It plays a criterium or a cyclo-cross (a number of laps) and, with a time limit, a
timed race (most laps in 1 h, 6 h...). Each person keeps a pace of their own (the
field's mean lap time, spread log-normally) and each lap varies a little around it.
Two things a real lap line sees are played on purpose:

- a bounced double pass: now and then someone crosses the mat again a few seconds
  after a real crossing (a rider who rolls back over the line, a runner who turns to
  wait for a friend). It comes after the box's repeat window (3 s by default), so it
  reaches the results as a passing, and the race's ``min_lap`` must reject it;
- dropouts: some stop after a few laps and are never seen again.

Nobody is read at the gun: the start is taken to be just past the mat, so the first
crossing of everyone ends their first lap.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import ClassVar

from edge.rfid.emulator.crossings import (
    Crossing,
    CrossingScenario,
    check_share,
    to_offset_us,
    wave_of,
)
from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.scenarios import epc_for_bib


def lap_label(lap: int) -> str:
    """The label of the crossing that ends lap ``lap`` (1 first)."""
    return f"lap {lap}"


def bounce_label(lap: int) -> str:
    """The label of a bounced second pass after the crossing that ended lap ``lap``."""
    return f"bounce after lap {lap}"


@dataclass(frozen=True)
class LapsScenario(CrossingScenario):
    """People lapping a circuit whose lap line is the mat, in one wave or several."""

    name: ClassVar[str] = "laps"
    runners: int = 50
    first_bib: int = 1
    laps: int = 10  # the most laps anyone rides; finishers stop after the last
    lap_time_s: float = 90.0  # the field's mean lap
    pace_spread: float = 0.08  # standard deviation of a person's log pace around the mean
    lap_noise: float = 0.02  # standard deviation of one lap's log time around the person's pace
    start_s: float = 0.0  # the first wave's gun, this long after the ROSpec starts
    waves: int = 1  # people start in this many waves of consecutive bibs...
    wave_gap_s: float = 0.0  # ...each this long after the one before
    time_limit_s: float | None = None  # timed race: stop at the first crossing past it (s)
    bounce_share: float = 0.03  # share of crossings followed by a bounced second pass...
    bounce_s: tuple[float, float] = (4.0, 12.0)  # ...this long after it
    dropout_share: float = 0.1  # share of people who stop early

    def __post_init__(self) -> None:
        if self.runners < 0 or self.laps < 1:
            raise InvalidScenario("a lap race has at least one lap (and no negative runners)")
        if self.lap_time_s <= 0 or (self.time_limit_s is not None and self.time_limit_s <= 0):
            raise InvalidScenario("the lap time and the time limit must be positive")
        if min(self.start_s, self.wave_gap_s, self.pace_spread, self.lap_noise) < 0:
            raise InvalidScenario("start, wave gap, pace spread and lap noise cannot be negative")
        if self.waves < 1:
            raise InvalidScenario("a race has at least one wave")
        check_share("bounces", self.bounce_share)
        check_share("dropouts", self.dropout_share)
        if len(self.bounce_s) != 2 or not 0 < self.bounce_s[0] <= self.bounce_s[1]:
            raise InvalidScenario("a bounce comes between two positive times after a crossing")
        low, high = self.bounce_s
        if self.bounce_share and high >= self.lap_time_s / 2:
            raise InvalidScenario(
                f"bounces come {low:g} to {high:g} s after a crossing, within half a lap: "
                f"laps must be longer than {2 * high:g} s, or bounces 0"
            )
        super().__post_init__()

    def crossings(self) -> list[Crossing]:
        """Return every crossing of the mat, bounces included, earliest first."""
        found = [c for n in range(self.runners) for c in self._laps_of(n)]
        return sorted(found, key=lambda crossing: (crossing.offset_us, crossing.bib))

    def gun_s(self, n: int) -> float:
        """When the ``n``-th person's wave starts, in seconds after the ROSpec starts."""
        return self.start_s + wave_of(n, self.runners, self.waves) * self.wave_gap_s

    def _laps_of(self, n: int) -> list[Crossing]:
        bib = self.first_bib + n
        epc = epc_for_bib(bib)
        # One generator per person: their race does not change with the field's size.
        rng = random.Random(f"{self.seed}:{bib}:laps")
        pace_s = self.lap_time_s * math.exp(rng.gauss(0.0, self.pace_spread))
        last_lap = self.laps
        stop_after_s = math.inf if self.time_limit_s is None else self.time_limit_s
        if rng.random() < self.dropout_share:
            if self.time_limit_s is None:
                last_lap = rng.randint(1, self.laps - 1) if self.laps > 1 else 0
            else:
                stop_after_s = self.time_limit_s * rng.uniform(0.2, 0.8)
        gun_s = self.gun_s(n)
        t_s = gun_s
        found = []
        for lap in range(1, last_lap + 1):
            t_s += pace_s * math.exp(rng.gauss(0.0, self.lap_noise))
            found.append(Crossing(bib, epc, to_offset_us(t_s), lap_label(lap)))
            if rng.random() < self.bounce_share:
                bounce_s = t_s + rng.uniform(*self.bounce_s)
                found.append(Crossing(bib, epc, to_offset_us(bounce_s), bounce_label(lap)))
            if t_s - gun_s >= stop_after_s:
                break  # the lap in progress at the limit ends, then the person stops
        return found
