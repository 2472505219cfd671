"""The ``relay`` scenario: teams handing over on one mat, one chip per runner.

Team t's runner of leg k (both from 1) wears bib ``t × 10 + k`` (team 4: bibs 41, 42,
43), so at most nine legs. All leg-1 runners start at the gun, just past the mat
(nobody is read then); leg k's runner crosses the mat when the leg ends, and leg k+1
begins at that instant. The mat is the handover line, and the last leg's crossing is
the team's finish.

What a real handover zone adds, played on purpose:

- a runner waiting for the handover may walk over the mat into the zone, and be read,
  some tens of seconds before their leg begins (``zone_share`` of the handovers): the
  race's rules count a leg's crossing only once the leg began (and ``min_leg`` after);
- a team may lose a runner on the course (``dropout_share`` of the teams): that runner
  and the later ones never cross, and the team is DNF from that leg on.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import ClassVar

from edge.rfid.emulator.crossings import Crossing, CrossingScenario, check_share, to_offset_us
from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.scenarios import epc_for_bib

MAX_LEGS = 9
"""Bibs are team × 10 + leg: one digit for the leg."""


def relay_bib(team: int, leg: int) -> int:
    """The bib of team ``team``'s runner of leg ``leg`` (both from 1)."""
    return team * 10 + leg


def leg_label(leg: int) -> str:
    """The label of the crossing that ends leg ``leg`` (1 first)."""
    return f"leg {leg}"


def zone_label(leg: int) -> str:
    """The label of a crossing by leg ``leg``'s runner walking into the zone to wait."""
    return f"zone before leg {leg}"


@dataclass(frozen=True)
class RelayScenario(CrossingScenario):
    """Relay teams whose legs end on the mat, leg after leg."""

    name: ClassVar[str] = "relay"
    teams: int = 20
    legs: int = 3
    leg_time_s: float = 720.0  # the field's mean leg
    pace_spread: float = 0.1  # standard deviation of a runner's log time around the mean
    start_s: float = 0.0  # the gun, this long after the ROSpec starts
    zone_share: float = 0.2  # share of handovers whose next runner is read entering the zone...
    zone_s: tuple[float, float] = (20.0, 90.0)  # ...this long before the handover
    dropout_share: float = 0.05  # share of teams that lose a runner on the course

    def __post_init__(self) -> None:
        if self.teams < 0 or not 1 <= self.legs <= MAX_LEGS:
            raise InvalidScenario(f"a relay has 1 to {MAX_LEGS} legs (and no negative teams)")
        if self.leg_time_s <= 0 or min(self.start_s, self.pace_spread) < 0:
            raise InvalidScenario("the leg time must be positive; start and spread not negative")
        if not 0 < self.zone_s[0] <= self.zone_s[1]:
            raise InvalidScenario("a runner enters the zone a positive time before the handover")
        check_share("zone reads", self.zone_share)
        check_share("dropouts", self.dropout_share)
        super().__post_init__()

    def crossings(self) -> list[Crossing]:
        """Return every crossing of the mat (handovers and zone entries), earliest first."""
        found = [c for team in range(1, self.teams + 1) for c in self._team(team)]
        return sorted(found, key=lambda crossing: (crossing.offset_us, crossing.bib))

    def _team(self, team: int) -> list[Crossing]:
        rng = random.Random(f"{self.seed}:team {team}:relay")
        legs = [
            self.leg_time_s * math.exp(rng.gauss(0.0, self.pace_spread)) for _ in range(self.legs)
        ]
        abandoned = rng.randint(1, self.legs) if rng.random() < self.dropout_share else None
        found = []
        t_s = self.start_s
        for leg, leg_s in enumerate(legs, start=1):
            if leg == abandoned:
                break
            if leg > 1 and rng.random() < self.zone_share:
                waited_s = t_s - rng.uniform(*self.zone_s)
                if waited_s > self.start_s:
                    bib = relay_bib(team, leg)
                    found.append(
                        Crossing(bib, epc_for_bib(bib), to_offset_us(waited_s), zone_label(leg))
                    )
            t_s += leg_s
            bib = relay_bib(team, leg)
            found.append(Crossing(bib, epc_for_bib(bib), to_offset_us(t_s), leg_label(leg)))
        return found
