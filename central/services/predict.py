"""Predicted finish times of runners on course, from the field's pace between the same points.

A runner's time at their last point is carried to the finish leg by leg: for each leg
(point a to the next point b) the time is multiplied by the ratio ``time at b / time at a``
of the runners who already ran that leg, weighted toward those who reached ``a`` in a time
close to this runner's (a 4-hour marathoner slows down more than a 2:30 one). The
field knows the course (a climb, a headwind, the heat of the afternoon); a naive
"same pace as so far" does not. Where too few runners ran a leg yet (the leaders), the
rest is at the runner's pace so far when the points' distances are known, else there is no
prediction.

Pure: times are microseconds since the runner's own start, points are codes in course
order with the finish last. ``bench/bench_predict.py`` measures both on held-out races.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

NEIGHBOURS = 30
"""How many runners of the closest pace a leg's ratio is taken from (fewer early on)."""
MIN_REFERENCES = 3
"""Below this many runners who ran a leg, the leg is not estimated from the field."""

Times = Mapping[str, int]
"""A runner's elapsed times (µs since their start) by point code."""


@dataclass(frozen=True)
class Prediction:
    """A predicted finish: the elapsed time and how it was made."""

    finish_us: int
    method: Literal["field", "pace"]  # field: at least one leg from the field; pace: none
    references: int  # runners the first estimated leg was taken from (0: pace only)


def last_point(times: Times, points: Sequence[str]) -> str | None:
    """The furthest point of ``points`` the runner passed (None: none yet)."""
    for code in reversed(points):
        if times.get(code) is not None:
            return code
    return None


def naive_finish(times: Times, points: Sequence[str], distances_m: Mapping[str, int]) -> int | None:
    """The finish time at the runner's average pace so far (None: distances unknown)."""
    passed = last_point(times, points[:-1])
    if passed is None:
        return None
    done, total = distances_m.get(passed, 0), distances_m.get(points[-1], 0)
    if done <= 0 or total <= done:
        return None
    return round(times[passed] * total / done)


class LegRatios:
    """The field's ratios ``time at b / time at a`` over one leg, sorted by time at ``a``."""

    def __init__(self, pairs: Iterable[tuple[int, int]]) -> None:
        kept = sorted((math.log(a), math.log(b / a)) for a, b in pairs if 0 < a < b)
        self.log_a = [a for a, _ in kept]
        self.log_ratio = [r for _, r in kept]

    def __len__(self) -> int:
        return len(self.log_a)

    def add(self, at_a_us: int, at_b_us: int) -> None:
        """Take one more runner's leg into account (one who has just reached ``b``)."""
        if 0 < at_a_us < at_b_us:
            log_a = math.log(at_a_us)
            index = bisect.bisect_left(self.log_a, log_a)
            self.log_a.insert(index, log_a)
            self.log_ratio.insert(index, math.log(at_b_us / at_a_us))

    def ratio(self, at_a_us: float) -> float:
        """The field's ratio for a runner who reached ``a`` in ``at_a_us``.

        The ``NEIGHBOURS`` runners whose time at ``a`` is closest (in proportion) to
        this one's, weighted by a tricube kernel of that distance: the closest count most,
        and a field of one pace gives its plain mean.
        """
        target = math.log(at_a_us)
        right = bisect.bisect_left(self.log_a, target)
        left, chosen = right - 1, list[int]()
        while len(chosen) < NEIGHBOURS and (left >= 0 or right < len(self.log_a)):
            go_left = right >= len(self.log_a) or (
                left >= 0 and target - self.log_a[left] <= self.log_a[right] - target
            )
            if go_left:
                chosen.append(left)
                left -= 1
            else:
                chosen.append(right)
                right += 1
        widest = max(abs(self.log_a[i] - target) for i in chosen) * 1.5 or 1.0
        total = weighted = 0.0
        for i in chosen:
            weight = (1 - (abs(self.log_a[i] - target) / widest) ** 3) ** 3
            total += weight
            weighted += weight * self.log_ratio[i]
        return math.exp(weighted / total)


def field_legs(field: Iterable[Times], points: Sequence[str]) -> list[LegRatios]:
    """Each leg's ratios among ``field`` (leg i runs from points[i] to points[i + 1])."""
    pairs: list[list[tuple[int, int]]] = [[] for _ in points[1:]]
    for times in field:
        for i, (a, b) in enumerate(itertools.pairwise(points)):
            at_a, at_b = times.get(a), times.get(b)
            if at_a is not None and at_b is not None:
                pairs[i].append((at_a, at_b))
    return [LegRatios(leg) for leg in pairs]


def predict_finish(
    times: Times,
    points: Sequence[str],
    legs: Sequence[LegRatios],
    distances_m: Mapping[str, int] | None = None,
) -> Prediction | None:
    """The runner's predicted finish while on course (None: finished, not started, unknown).

    ``legs`` come from ``field_legs`` over the other runners; ``distances_m`` (point code to
    metres from the start) lets the legs the field has not run yet go at the runner's pace.
    """
    if times.get(points[-1]) is not None:
        return None
    passed = last_point(times, points[:-1])
    if passed is None:
        return None
    index = points.index(passed)
    estimate = float(times[passed])
    references = 0
    for leg in legs[index:]:
        if len(leg) < MIN_REFERENCES:
            break
        references = references or len(leg)
        estimate *= leg.ratio(estimate)
        index += 1
    if index < len(points) - 1:  # legs left that the field has not run yet
        done, total = (
            (distances_m or {}).get(points[index], 0),
            (distances_m or {}).get(points[-1], 0),
        )
        if done <= 0 or total <= done:
            return None
        estimate *= total / done
    return Prediction(round(estimate), "field" if references else "pace", references)
