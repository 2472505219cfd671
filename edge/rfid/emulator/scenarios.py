"""Scenarios: what the emulated reader's antennas see over time, and the faults it injects.

A scenario yields tag reads in time order, each at an offset from the moment a client
first enables an ROSpec. ``race`` (in ``race.py``) models runners crossing a finish
line; ``burst`` many tags in the field at once at the reader's top rate; ``scripted``
replays exact reads, for tests that need to know every read in advance.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.faults import Faults

US_PER_S = 1_000_000


@dataclass(frozen=True, slots=True)
class TagRead:
    """One singulation of one tag by one antenna, at an offset from the scenario start."""

    offset_us: int
    epc: bytes
    antenna_id: int
    peak_rssi_dbm: int


class Scenario(ABC):
    """What the reader sees: tag reads in time order, plus the faults to inject."""

    name: ClassVar[str]
    faults: Faults

    @abstractmethod
    def reads(self) -> Iterator[TagRead]:
        """Yield every read of the scenario in time order."""


def epc_for_bib(bib: int) -> bytes:
    """Return the 96-bit EPC whose hex spells the bib number (bib 17: 0000…0017)."""
    if not 0 <= bib < 10**24:
        raise InvalidScenario(f"bib {bib} does not fit in a 96-bit EPC")
    return bytes.fromhex(f"{bib:024d}")


@dataclass(frozen=True)
class ScriptedScenario(Scenario):
    """Exact reads given in advance."""

    name: ClassVar[str] = "scripted"
    script: tuple[TagRead, ...] = ()
    faults: Faults = field(default_factory=Faults)

    def reads(self) -> Iterator[TagRead]:
        """Yield the scripted reads in time order."""
        yield from sorted(self.script, key=lambda read: read.offset_us)


@dataclass(frozen=True)
class BurstScenario(Scenario):
    """Many tags in the field at once, read at the reader's top rate (a start pen, a tag box)."""

    name: ClassVar[str] = "burst"
    tags: int = 500
    first_bib: int = 1
    start_s: float = 0.0
    duration_s: float = 2.0
    reads_per_s: float = 1100.0  # the whole reader: it reads through one antenna at a time
    antennas: tuple[int, ...] = (1, 2, 3, 4)
    rssi_dbm: tuple[float, float] = (-68.0, -50.0)
    noise_db: float = 1.5
    seed: int = 2026
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if self.tags < 1 or not self.antennas or self.reads_per_s <= 0 or self.duration_s < 0:
            raise InvalidScenario("a burst needs tags, antennas, a positive rate and duration")

    def reads(self) -> Iterator[TagRead]:
        """Yield inventory rounds, one antenna per round, every tag once per round."""
        rng = random.Random(self.seed)
        tags = [epc_for_bib(self.first_bib + n) for n in range(self.tags)]
        level = {epc: rng.uniform(*self.rssi_dbm) for epc in tags}
        step_us = US_PER_S / self.reads_per_s
        now_us = self.start_s * US_PER_S
        end_us = (self.start_s + self.duration_s) * US_PER_S
        round_number = 0
        while True:
            antenna = self.antennas[round_number % len(self.antennas)]
            # Gen2 singulation order within a round is random (slotted ALOHA).
            for epc in rng.sample(tags, len(tags)):
                if now_us >= end_us:
                    return
                rssi = round(level[epc] + rng.gauss(0.0, self.noise_db))
                yield TagRead(int(now_us), epc, antenna, rssi)
                now_us += step_us * rng.uniform(0.5, 1.5)
            round_number += 1
