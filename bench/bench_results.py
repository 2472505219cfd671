"""Benchmark of the results engine on a synthetic 20,000-entrant race.

Run ``python -m bench.bench_results``; it exits 1 when a full recompute takes
longer than the budget, so a slow engine fails ``make bench`` loudly.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import tracemalloc
from collections.abc import Callable

from edge.timing.model import CategoryRule, EntrantInfo, PassingInfo, RaceSpec
from edge.timing.results import RaceResults, compute_results

ENTRANTS = 20_000
SEED = 20_260_412
FULL_BUDGET_S = 1.0
ADDS = 1_000
REPEATS = 5
_SECOND = 1_000_000
_GUN = 1_776_000_000 * _SECOND  # a spring morning in 2026, µs since the epoch


def build_race(
    entrants: int = ENTRANTS, seed: int = SEED
) -> tuple[RaceSpec, list[EntrantInfo], list[PassingInfo]]:
    """A deterministic race: two waves, START, one split and FINISH, three reads per bib."""
    rng = random.Random(seed)
    spec = RaceSpec(
        code="10K",
        timing="chip",
        min_time_us=20 * 60 * _SECOND,
        cutoff_us=2 * 3600 * _SECOND,
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=("5K",),
        waves={"A": _GUN, "B": _GUN + 10 * 60 * _SECOND},
        first_wave="A",
        categories=(
            CategoryRule("U20", max_age=19),
            CategoryRule("SEF", sex="F", max_age=39),
            CategoryRule("SEM", sex="M", max_age=39),
            CategoryRule("V1F", sex="F", min_age=40),
            CategoryRule("V1M", sex="M", min_age=40),
        ),
        team_size=3,
        event_date=dt.date(2026, 4, 12),
    )
    people: list[EntrantInfo] = []
    passings: list[PassingInfo] = []
    for number in range(1, entrants + 1):
        bib = str(number)
        wave = "A" if number % 2 else "B"
        people.append(
            EntrantInfo(
                bib=bib,
                last_name=f"Runner{number}",
                sex=rng.choice(("M", "F")),
                birth_year=rng.randint(1950, 2010),
                team=f"Club {rng.randrange(400)}" if rng.random() < 0.3 else "",
                wave=wave,
            )
        )
        start = spec.waves[wave] + rng.randrange(-60 * _SECOND, 4 * 60 * _SECOND)
        pace = rng.randrange(25 * 60 * _SECOND, 90 * 60 * _SECOND)
        passings.append(PassingInfo(bib, "START", start))
        passings.append(PassingInfo(bib, "5K", start + pace // 2))
        passings.append(PassingInfo(bib, "FINISH", start + pace))
    rng.shuffle(passings)
    return spec, people, passings


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """Return the best wall-clock time in seconds of ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def mean_add_passing(
    spec: RaceSpec, people: list[EntrantInfo], passings: list[PassingInfo], adds: int = ADDS
) -> float:
    """Mean seconds of one add_passing: the last ``adds`` finish reads arrive live."""
    finishes = [p for p in passings if p.point == "FINISH"][-adds:]
    held = set(map(id, finishes))
    engine = RaceResults(spec, people, [p for p in passings if id(p) not in held])
    began = time.perf_counter()
    for passing in finishes:
        engine.add_passing(passing)
    return (time.perf_counter() - began) / len(finishes)


def peak_memory(spec: RaceSpec, people: list[EntrantInfo], passings: list[PassingInfo]) -> int:
    """Peak bytes allocated by one full recompute (inputs excluded)."""
    tracemalloc.start()
    try:
        compute_results(spec, people, passings)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    """Print the figures; return 1 when the full recompute is over budget."""
    spec, people, passings = build_race()
    size = f"entrants={len(people)} passings={len(passings)}"
    full = best_of(REPEATS, lambda: compute_results(spec, people, passings))
    print(f"results.full_recompute {size} best={full:.2f}s budget={FULL_BUDGET_S:.1f}s")
    add = mean_add_passing(spec, people, passings)
    print(f"results.add_passing {size} adds={ADDS} mean={add * 1e6:.1f}us")
    peak = peak_memory(spec, people, passings)
    print(f"results.full_recompute_memory {size} peak={peak / 2**20:.1f}MiB")
    if full > FULL_BUDGET_S:
        print(f"full recompute took {full:.2f}s, over the {FULL_BUDGET_S:.1f}s budget")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
