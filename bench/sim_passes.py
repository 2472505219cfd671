"""Simulated RFID reads of runners crossing a timing mat, with the true crossing instants.

The field of a mat antenna is modelled as RSSI = peak − c·x² at a distance x
from the line, so a runner at speed v draws RSSI = peak − c·v²·(t − t0)². Tags
answer only where that curve is above the reader's sensitivity; each antenna
then reports the tag at random instants (a Poisson process at a per-pass rate)
with Gaussian noise, multipath outliers, body-shadowing dropouts and integer
dBm rounding (LLRP's PeakRSSI). Every figure below is a stated assumption
about a real finish line, not something tuned to make the estimator look good.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from edge.timing.crossing import RawRead

_SECOND = 1_000_000
_T0 = 1_776_000_000 * _SECOND  # a spring morning in 2026, µs since the epoch


@dataclass(frozen=True, slots=True)
class TruePass:
    """A tag's real crossing of the timing line."""

    epc: str
    time_us: int


@dataclass(frozen=True)
class SimParams:
    """Knobs of the simulation; defaults describe a busy finish line with two mat antennas."""

    laps: int = 2  # passes per tag, so repeated passings of an epc are exercised
    lap_s: tuple[float, float] = (120.0, 600.0)  # time between two passes of one tag
    mean_arrival_gap_s: float = 0.3  # dense finish: several tags in the field at once
    speed_mps: tuple[float, float] = (2.0, 6.0)  # walkers to fast finishers
    falloff_db_per_m2: float = 9.0  # RSSI drop per square metre from the line
    peak_dbm: tuple[float, float] = (-56.0, -42.0)  # tag placement and body detuning
    sensitivity_dbm: float = -70.0  # the tag is not energised below this
    two_antenna_share: float = 0.6  # passes seen by both antennas (centre of the mat)
    second_peak_drop_db: tuple[float, float] = (0.0, 5.0)  # the farther antenna is weaker
    read_rate_hz: tuple[float, float] = (20.0, 60.0)  # per antenna, shared with other tags
    noise_db: float = 2.0
    outlier_share: float = 0.05
    outlier_db: tuple[float, float] = (6.0, 15.0)  # multipath, either sign
    dropout_share: float = 0.2  # passes shadowed once by another runner's body
    dropout_s: tuple[float, float] = (0.05, 0.25)
    strays: int = 3  # spare tags parked near the mat, read on and on
    stray_s: tuple[float, float] = (20.0, 120.0)
    stray_dbm: tuple[float, float] = (-66.0, -58.0)


@dataclass
class Simulation:
    """Reads (shuffled, as a reader log might be) and the truth they came from."""

    reads: list[RawRead]
    passes: list[TruePass]
    stray_epcs: set[str] = field(default_factory=set)


def simulate(
    passes: int = 2000, seed: int = 20_260_412, params: SimParams = SimParams()
) -> Simulation:
    """A deterministic simulation of ``passes`` tag passes (plus parked stray tags)."""
    rng = random.Random(seed)
    tags = math.ceil(passes / params.laps)
    truth: list[TruePass] = []
    clock = 0.0
    for number in range(tags):
        epc = f"E2801160{number:016X}"
        clock += rng.expovariate(1.0 / params.mean_arrival_gap_s)
        at = clock
        for _ in range(params.laps):
            if len(truth) == passes:
                break
            truth.append(TruePass(epc, _T0 + round(at * _SECOND)))
            at += rng.uniform(*params.lap_s)
    reads: list[RawRead] = []
    for true in truth:
        reads.extend(_pass_reads(rng, params, true))
    strays: set[str] = set()
    for number in range(params.strays):
        epc = f"E2801170{number:016X}"
        strays.add(epc)
        reads.extend(_stray_reads(rng, params, epc, clock))
    truth.sort(key=lambda p: (p.time_us, p.epc))
    rng.shuffle(reads)
    return Simulation(reads=reads, passes=truth, stray_epcs=strays)


def _pass_reads(rng: random.Random, params: SimParams, true: TruePass) -> list[RawRead]:
    """The reads of one pass by the one or two antennas that see the tag."""
    speed = rng.uniform(*params.speed_mps)
    curvature = params.falloff_db_per_m2 * speed * speed  # dB per s²
    peak = rng.uniform(*params.peak_dbm)
    antennas = [(1, peak)]
    if rng.random() < params.two_antenna_share:
        antennas.append((2, peak - rng.uniform(*params.second_peak_drop_db)))
    if rng.random() < 0.5:
        # Either antenna may be the one nearer to the tag.
        antennas = [(3 - number, top) for number, top in antennas]
    blackout = (0.0, 0.0)
    if rng.random() < params.dropout_share:
        start = rng.uniform(-1.0, 1.0) * math.sqrt((peak - params.sensitivity_dbm) / curvature)
        blackout = (start, start + rng.uniform(*params.dropout_s))
    reads: list[RawRead] = []
    for antenna, top in antennas:
        half = math.sqrt((top - params.sensitivity_dbm) / curvature)
        rate = rng.uniform(*params.read_rate_hz)
        offset = -half + rng.expovariate(rate)
        while offset < half:
            if not blackout[0] <= offset < blackout[1]:
                rssi = top - curvature * offset * offset + rng.gauss(0.0, params.noise_db)
                if rng.random() < params.outlier_share:
                    rssi += rng.choice((-1.0, 1.0)) * rng.uniform(*params.outlier_db)
                time_us = true.time_us + round(offset * _SECOND)
                reads.append(RawRead(true.epc, antenna, float(round(rssi)), time_us))
            offset += rng.expovariate(rate)
    return reads


def _stray_reads(rng: random.Random, params: SimParams, epc: str, span_s: float) -> list[RawRead]:
    """A parked tag read at a steady level for tens of seconds somewhere in the race."""
    start = rng.uniform(0.0, max(span_s - params.stray_s[1], 0.0))
    end = start + rng.uniform(*params.stray_s)
    level = rng.uniform(*params.stray_dbm)
    rate = rng.uniform(*params.read_rate_hz)
    reads: list[RawRead] = []
    at = start + rng.expovariate(rate)
    while at < end:
        rssi = level + rng.gauss(0.0, params.noise_db)
        reads.append(RawRead(epc, 1, float(round(rssi)), _T0 + round(at * _SECOND)))
        at += rng.expovariate(rate)
    return reads
