"""Benchmark of crossing estimation on simulated passes at a busy finish mat.

Run ``python -m bench.bench_crossing``. It prints the accuracy of each method
and the throughput, and exits 1 when the default method (quadreg) misses a
pass, invents one, has an RMSE over the goal, or is too slow.
"""

from __future__ import annotations

import bisect
import math
import sys
import time
from dataclasses import dataclass

from bench.sim_passes import Simulation, simulate
from edge.timing.crossing import METHODS, Crossing, CrossingSettings, estimate_crossings

PASSES = 2000
SEED = 20_260_412
RMSE_GOAL_S = 0.02
MATCH_TOLERANCE_US = 1_000_000  # a passing farther than this from the truth is not that pass
THROUGHPUT_READS = 100_000
THROUGHPUT_BUDGET_S = 1.0
REPEATS = 3


@dataclass(frozen=True, slots=True)
class Accuracy:
    """How one method's passings compare with the true passes."""

    method: str
    passes: int
    found: int
    spurious: int
    strays: int
    rmse_s: float
    p95_s: float
    max_s: float


def measure(sim: Simulation, method: str) -> Accuracy:
    """Match each true pass to the nearest valid passing of its epc and score the method."""
    crossings = estimate_crossings(sim.reads, CrossingSettings(method=method))
    valid: dict[str, list[int]] = {}
    for crossing in crossings:
        if crossing.status == "valid":
            valid.setdefault(crossing.epc, []).append(crossing.time_us)
    claimed: set[tuple[str, int]] = set()
    errors: list[float] = []
    for true in sim.passes:
        times = valid.get(true.epc, [])
        nearest = _nearest(times, true.time_us)
        if nearest is not None and abs(nearest - true.time_us) <= MATCH_TOLERANCE_US:
            claimed.add((true.epc, nearest))
            errors.append((nearest - true.time_us) / 1e6)
    total_valid = sum(len(times) for times in valid.values())
    errors.sort(key=abs)
    squares = sum(e * e for e in errors)
    return Accuracy(
        method=method,
        passes=len(sim.passes),
        found=len(errors),
        spurious=total_valid - len(claimed),
        strays=sum(1 for c in crossings if c.status == "stray" and c.epc in sim.stray_epcs),
        rmse_s=math.sqrt(squares / len(errors)) if errors else math.inf,
        p95_s=abs(errors[int(0.95 * (len(errors) - 1))]) if errors else math.inf,
        max_s=abs(errors[-1]) if errors else math.inf,
    )


def _nearest(times: list[int], target: int) -> int | None:
    """The element of sorted ``times`` closest to ``target``."""
    if not times:
        return None
    at = bisect.bisect_left(times, target)
    around = times[max(at - 1, 0) : at + 1]
    return min(around, key=lambda t: abs(t - target))


def throughput(sim: Simulation) -> tuple[int, float, list[Crossing]]:
    """Best seconds to estimate the crossings of the first reads of the simulation."""
    reads = sim.reads[:THROUGHPUT_READS]
    best = math.inf
    crossings: list[Crossing] = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        crossings = estimate_crossings(reads)
        best = min(best, time.perf_counter() - began)
    return len(reads), best, crossings


def main() -> int:
    """Print the figures; return 1 when quadreg misses the goal or is too slow."""
    sim = simulate(PASSES, SEED)
    print(f"crossing.sim passes={len(sim.passes)} reads={len(sim.reads)} seed={SEED}")
    results = {method: measure(sim, method) for method in METHODS}
    for acc in results.values():
        print(
            f"crossing.accuracy passes={acc.passes} found={acc.found} spurious={acc.spurious} "
            f"rmse={acc.rmse_s:.3f} s method={acc.method}"
        )
        print(
            f"crossing.errors method={acc.method} p95={acc.p95_s * 1000:.1f}ms "
            f"max={acc.max_s * 1000:.1f}ms strays_flagged={acc.strays}/{len(sim.stray_epcs)}"
        )
    count, best, _ = throughput(sim)
    print(
        f"crossing.throughput reads={count} best={best:.3f}s rate={count / best:,.0f} reads/s "
        f"budget={THROUGHPUT_BUDGET_S:.1f}s"
    )
    goal = results["quadreg"]
    failures = []
    if goal.found < goal.passes:
        failures.append(f"{goal.passes - goal.found} passes missed")
    if goal.spurious:
        failures.append(f"{goal.spurious} spurious passings")
    if goal.rmse_s > RMSE_GOAL_S:
        failures.append(f"rmse {goal.rmse_s:.3f}s over the {RMSE_GOAL_S}s goal")
    if best > THROUGHPUT_BUDGET_S:
        failures.append(f"{count} reads took {best:.2f}s")
    for failure in failures:
        print(f"crossing.fail {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
