"""The ``triathlon`` scenario: athletes over a multisport course, seen at one of its mats.

The course is START → T1_IN → T1_OUT → T2_IN → T2_OUT → FINISH: swim, first
transition, bike, second transition, run. Each athlete's segment times come from the
seed and the bib alone (an ability of their own, and some variation per segment), so
emulators playing different mats with the same settings play one consistent race: run
one per mat (``--point``), all started together, and every athlete passes the mats in
the course's order.

What real transition mats see, played on purpose:

- a tag missed at one mat (``miss_share`` of the athletes): one of the four transition
  mats does not read it, the athlete passes on; the results keep the total and leave
  that segment and its neighbour empty;
- athletes who abandon (``dropout_share``): in one segment, and never seen again.

The field crosses START over the first seconds after its wave's gun (``start_spread_s``),
as a beach or pontoon start does.
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

COURSE = ("START", "T1_IN", "T1_OUT", "T2_IN", "T2_OUT", "FINISH")
"""The mats, in the order athletes pass them."""
SEGMENTS = ("SWIM", "T1", "BIKE", "T2", "RUN")
"""The segments, each from a mat of COURSE to the next."""
TRANSITION_MATS = COURSE[1:-1]
"""The mats that may miss a tag (a start and a finish are doubled in practice)."""


@dataclass(frozen=True)
class Athlete:
    """The truth of one athlete: when they passed each mat they reached, read or not."""

    bib: int
    passed_us: dict[str, int]  # mat -> offset, for the mats reached, in course order
    unread_at: str | None  # the mat whose reader missed the tag


@dataclass(frozen=True)
class TriathlonScenario(CrossingScenario):
    """A triathlon (or a duathlon with other segment times) as seen at the mat ``point``."""

    name: ClassVar[str] = "triathlon"
    point: str = "FINISH"
    runners: int = 100
    first_bib: int = 1
    segment_s: tuple[float, ...] = (900.0, 120.0, 2100.0, 75.0, 1320.0)  # mean, per SEGMENTS
    ability_spread: float = 0.12  # standard deviation of an athlete's log time around the mean
    segment_noise: float = 0.06  # standard deviation of one segment's log time around that
    start_s: float = 0.0  # the first wave's gun, this long after the ROSpec starts
    start_spread_s: float = 20.0  # the field crosses START over this long after its gun
    waves: int = 1  # athletes start in this many waves of consecutive bibs...
    wave_gap_s: float = 0.0  # ...each this long after the one before
    miss_share: float = 0.03  # share of athletes not read at one transition mat
    dropout_share: float = 0.03  # share of athletes who abandon

    def __post_init__(self) -> None:
        if self.point not in COURSE:
            raise InvalidScenario(f"unknown mat {self.point!r}; the course has {', '.join(COURSE)}")
        if len(self.segment_s) != len(SEGMENTS) or min(self.segment_s) <= 0:
            raise InvalidScenario(
                f"give {len(SEGMENTS)} positive segment times, for {', '.join(SEGMENTS)}"
            )
        if self.runners < 0 or self.waves < 1:
            raise InvalidScenario("a triathlon has at least one wave (and no negative athletes)")
        spreads = (self.ability_spread, self.segment_noise, self.start_s, self.start_spread_s)
        if min(*spreads, self.wave_gap_s) < 0:
            raise InvalidScenario("start, spreads and wave gap cannot be negative")
        check_share("missed tags", self.miss_share)
        check_share("dropouts", self.dropout_share)
        super().__post_init__()

    def crossings(self) -> list[Crossing]:
        """Return the crossings the mat ``point`` reads, earliest first."""
        found = [
            Crossing(a.bib, epc_for_bib(a.bib), a.passed_us[self.point], self.point)
            for a in self.athletes()
            if self.point in a.passed_us and a.unread_at != self.point
        ]
        return sorted(found, key=lambda crossing: (crossing.offset_us, crossing.bib))

    def athletes(self) -> list[Athlete]:
        """Every athlete's passages of every mat, the same whichever mat is played."""
        return [self._athlete(n) for n in range(self.runners)]

    def _athlete(self, n: int) -> Athlete:
        bib = self.first_bib + n
        # Drawn from the bib and seed only, in the same order at every mat.
        rng = random.Random(f"{self.seed}:{bib}:course")
        ability = math.exp(rng.gauss(0.0, self.ability_spread))
        times = [s * ability * math.exp(rng.gauss(0.0, self.segment_noise)) for s in self.segment_s]
        gun_s = self.start_s + wave_of(n, self.runners, self.waves) * self.wave_gap_s
        t_s = gun_s + rng.uniform(0.0, self.start_spread_s)
        abandoned = rng.randrange(len(SEGMENTS)) if rng.random() < self.dropout_share else None
        unread = rng.choice(TRANSITION_MATS) if rng.random() < self.miss_share else None
        passed = {COURSE[0]: to_offset_us(t_s)}
        for segment, segment_s in enumerate(times):
            if segment == abandoned:
                break
            t_s += segment_s
            passed[COURSE[segment + 1]] = to_offset_us(t_s)
        return Athlete(bib, passed, unread)
