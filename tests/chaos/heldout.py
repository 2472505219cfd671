"""Central's passings against the race each emulator played (the held-out truth).

The emulator's scenario knows each runner's true crossing; its reads are stamped with the
reader's clock from the scenario's start (the emulators run with no clock offset). For
every runner whose reads at a point all reached the box (none cut by a fault, none
played while no reader was connected), central holds exactly one valid passing at that
point, within 0.15 s of the true crossing, the tolerance of
tests/integration/test_reader_service.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from edge.rfid.emulator import RaceScenario
from tests.chaos.truth import GroundTruth, Key, PassingKey

TOLERANCE_US = 150_000


@dataclass
class HeldOut:
    """One point's runners compared with central's passings."""

    point: str
    intact: int = 0  # runners whose every read reached the box
    matched: int = 0  # of those, with one valid passing close to the truth
    errors: list[str] = field(default_factory=list)


def compare(point: str, race: RaceScenario, truth: GroundTruth, on_box: Counter[Key],
            on_central: Counter[PassingKey]) -> HeldOut:  # fmt: skip
    """Check central's passings at ``point`` against ``race``, the scenario played there."""
    found = HeldOut(point)
    if not truth.reads or truth.zero_us is None:
        return found
    zero_us = truth.zero_us
    by_epc: dict[str, list[Key]] = defaultdict(list)
    for read in race.reads():
        if read.offset_us + zero_us > truth.reads[-1].key[3]:
            break  # played after the campaign stopped the emulator
        epc = read.epc.hex().upper()
        by_epc[epc].append((point, epc, read.antenna_id, zero_us + read.offset_us))
    ended_us = truth.reads[-1].key[3]
    passings: dict[str, list[int]] = defaultdict(list)
    for key, count in on_central.items():
        if key[0] == point and key[5] == "valid":
            passings[key[1]] += [key[3]] * count
    for crossing in race.crossings():
        epc = crossing.epc.hex().upper()
        keys = by_epc.get(epc, [])
        true_us = zero_us + crossing.offset_us
        if not keys or true_us + 2_000_000 > ended_us or not all(k in on_box for k in keys):
            continue  # not over before the end, or a fault took some of its reads
        found.intact += 1
        times = passings.get(epc, [])
        if len(times) == 1 and abs(times[0] - true_us) < TOLERANCE_US:
            found.matched += 1
        elif len(found.errors) < 5:
            found.errors.append(
                f"{point} {epc}: true crossing {true_us}, central's valid passings {times}"
            )
    return found
