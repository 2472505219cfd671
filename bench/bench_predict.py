"""How good the predicted finish is from a runner's FIRST split, against "same pace as so far".

Run ``python -m bench.bench_predict`` (the simulated races below) or
``python -m bench.bench_predict --csv FILE --distances 5000,10000,21097`` (a real race: a
header ``bib,<point>,...,<finish>`` and one row per runner with elapsed times H:MM:SS,
empty where the runner was not seen; the distances of the points in metres, in order).

Each race is held out as it would be live: every runner is predicted at the instant they
cross their first split, from the runners who had reached each point by then (a mass
start: elapsed times are clock times), never from themselves or from anything later.
Printed per race: the runners predicted, the median absolute error of the field's
prediction (``central.services.predict``) and of the naive one (the average pace so far
carried to the finish). Goal: the field's median error at most the naive one's, per race.

The repository holds no real race with splits (tests/fixtures has entrants, one-point
passings and event files only), so the default races are simulated: each runner has a
pace (log-normal), slows down over the distance (slower runners more: the well-known
marathon fade), every leg has a profile of its own (hills, a trail's climbs) that the naive
prediction does not know, and each leg adds noise. The figures are those of this model;
``--csv`` gives them for a real race.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.goals import Goal, exit_code
from central.services.predict import LegRatios, field_legs, naive_finish, predict_finish
from edge.clock import parse_duration

_US = 1_000_000


@dataclass(frozen=True)
class Race:
    """A race: point codes in course order (finish last), their distances, each runner's times."""

    name: str
    points: tuple[str, ...]
    distances_m: dict[str, int]
    runners: list[dict[str, int]]


@dataclass(frozen=True)
class Course:
    """A simulated course: (point, distance) in order, a profile factor per leg, a fade."""

    name: str
    points: tuple[tuple[str, int], ...]
    profile: tuple[float, ...]  # how much slower than flat each leg runs (1.0: flat)
    fade: float  # the median runner's slow-down over the whole race (0.10: 10% slower at the end)


COURSES = (
    Course("10K road", (("KM5", 5000), ("FINISH", 10000)), (1.0, 1.03), 0.04),
    Course(
        "half marathon",
        (("KM5", 5000), ("KM10", 10000), ("KM15", 15000), ("FINISH", 21097)),
        (0.99, 1.0, 1.04, 1.02),
        0.08,
    ),
    Course(
        "marathon",
        (*tuple((f"KM{k}", k * 1000) for k in range(5, 41, 5)), ("FINISH", 42195)),
        (0.98, 0.99, 1.0, 1.0, 1.01, 1.02, 1.03, 1.02, 1.0),
        0.18,
    ),
    Course(
        "trail 30K",
        (("CP1", 8000), ("CP2", 15000), ("CP3", 24000), ("FINISH", 30000)),
        (1.0, 1.6, 0.85, 1.1),
        0.15,
    ),
)


def simulate(course: Course, runners: int, seed: int) -> Race:
    """A simulated race on ``course`` (see the module's docstring for the model)."""
    rng = random.Random(seed)
    total = course.points[-1][1]
    times: list[dict[str, int]] = []
    for _ in range(runners):
        pace = math.exp(rng.gauss(math.log(330.0), 0.18))  # s/km, 5:30 median
        # Slower runners fade more (and some a lot): the fade grows with the pace.
        fade = max(0.0, course.fade * (pace / 330.0) ** 2 * math.exp(rng.gauss(0, 0.5)))
        elapsed, done, runner = 0.0, 0, {}
        for (code, distance), profile in zip(course.points, course.profile, strict=True):
            middle = (done + distance) / 2 / total
            leg = (distance - done) / 1000 * pace * profile * (1 + fade * middle)
            elapsed += leg * math.exp(rng.gauss(0, 0.03))
            runner[code] = round(elapsed * _US)
            done = distance
        if rng.random() < 0.03:  # did not finish
            del runner[course.points[-1][0]]
        times.append(runner)
    points = tuple(code for code, _ in course.points)
    return Race(course.name, points, dict(course.points), times)


def read_csv(path: Path, distances: list[int]) -> Race:
    """A real race from ``path`` (see the module's docstring for its format)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = next(reader)
        points = tuple(header[1:])
        if len(points) != len(distances):
            sys.exit(f"{path}: {len(points)} points in the header, {len(distances)} distances")
        runners = [
            {
                code: parse_duration(cell)
                for code, cell in zip(points, row[1:], strict=False)
                if cell
            }
            for row in reader
        ]
    return Race(path.stem, points, dict(zip(points, distances, strict=True)), runners)


def _errors(
    race: Race, runner: dict[str, int], legs: list[LegRatios], errors: tuple[list[float], ...]
) -> bool:
    """Predict ``runner`` from their first split alone; append both errors (s); whether field."""
    first = race.points[0]
    seen = {first: runner[first]}  # only the first split is known at that instant
    real = runner[race.points[-1]]
    predicted = predict_finish(seen, race.points, legs, race.distances_m)
    naive = naive_finish(seen, race.points, race.distances_m)
    if predicted is None or naive is None:
        return False
    errors[0].append(abs(predicted.finish_us - real) / _US)
    errors[1].append(abs(naive - real) / _US)
    return predicted.method == "field"


def _medians(errors: tuple[list[float], ...]) -> tuple[float, float]:
    if not errors[0]:
        return math.nan, math.nan
    return statistics.median(errors[0]), statistics.median(errors[1])


def evaluate_halves(race: Race, seed: int = 24) -> tuple[int, float, float]:
    """Half the runners predicted from the other half's whole race (held-out runners).

    What the page shows once the field has run the course ahead of a runner: the back of
    the pack, or any runner at their first split when the race has waves.
    """
    rng = random.Random(seed)
    known: list[dict[str, int]] = []
    held: list[dict[str, int]] = []
    for runner in race.runners:
        (known if rng.random() < 0.5 else held).append(runner)
    legs = field_legs(known, race.points)
    errors: tuple[list[float], list[float]] = ([], [])
    for runner in held:
        if runner.get(race.points[0]) is not None and runner.get(race.points[-1]) is not None:
            _errors(race, runner, legs, errors)
    return len(errors[0]), *_medians(errors)


def evaluate(race: Race) -> tuple[int, int, float, float]:
    """Live: runners predicted, of them from the field, median absolute errors (s) field/naive."""
    first, finish = race.points[0], race.points[-1]
    # Every (instant, leg, runner) at which a runner reaches a leg's end, in time order: the
    # field grows as the predicted runners cross their first split.
    arrivals = sorted(
        (runner[b], i, n)
        for n, runner in enumerate(race.runners)
        for i, (a, b) in enumerate(itertools.pairwise(race.points))
        if runner.get(a) is not None and runner.get(b) is not None
    )
    legs = [LegRatios(()) for _ in race.points[1:]]
    asked = sorted(
        (runner[first], n)
        for n, runner in enumerate(race.runners)
        if runner.get(first) is not None and runner.get(finish) is not None
    )
    errors: tuple[list[float], list[float]] = ([], [])
    from_field = taken = 0
    for moment, n in asked:
        while taken < len(arrivals) and arrivals[taken][0] <= moment:
            _, i, other = arrivals[taken]
            if other != n:
                times = race.runners[other]
                legs[i].add(times[race.points[i]], times[race.points[i + 1]])
            taken += 1
        from_field += _errors(race, race.runners[n], legs, errors)
    return len(errors[0]), from_field, *_medians(errors)


def main() -> int:
    """Print each race's median errors; exit 1 when the field's is worse than the naive one's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="a real race's times (see the docstring)")
    parser.add_argument("--distances", help="the CSV's point distances in metres, comma-separated")
    parser.add_argument("--runners", type=int, default=2000, help="runners per simulated race")
    arguments = parser.parse_args()
    if arguments.csv:
        if not arguments.distances:
            parser.error("--csv needs --distances")
        races = [read_csv(arguments.csv, [int(d) for d in arguments.distances.split(",")])]
    else:
        races = [simulate(c, arguments.runners, seed) for seed, c in enumerate(COURSES, 24)]
    verdicts = []
    for race in races:
        count, from_field, field, naive = evaluate(race)
        print(
            f"{race.name}, live: {count} runners predicted at their first split"
            f" ({from_field} from the field, the others before it had run a leg);"
            f" median absolute error: predicted {field:,.0f} s, same pace as so far {naive:,.0f} s"
        )
        verdicts.append(
            Goal(f"{race.name}, live: error / naive error", 1.0, "").report(
                field / naive if naive else math.inf
            )
        )
        count, field, naive = evaluate_halves(race)
        print(
            f"{race.name}, held-out half: {count} runners predicted from their first split by"
            f" the other half's race; median absolute error: predicted {field:,.0f} s,"
            f" same pace as so far {naive:,.0f} s"
        )
        verdicts.append(
            Goal(f"{race.name}, held-out half: error / naive error", 1.0, "").report(
                field / naive if naive else math.inf
            )
        )
    return exit_code(verdicts)


if __name__ == "__main__":
    sys.exit(main())
