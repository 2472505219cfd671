"""What the speaker announces: the last arrivals and who is arriving soon (pure).

Both lists are read off a race's computed results, so the speaker screen shows
exactly the times and ranks of the results pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edge.timing.model import EntrantResult, Status

MINUTE_US = 60_000_000
MIN_GRACE_US = 5 * MINUTE_US
"""A runner announced at the last split is dropped this long at least after the expected arrival."""
NO_DISTANCE_WINDOW_US = 30 * MINUTE_US
"""Without distances there is no projection: a runner stays announced this long after the split."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """A finisher as the speaker reads it."""

    race: str
    bib: str
    first_name: str
    last_name: str
    club: str
    sex: str | None
    category: str | None
    finish_us: int
    time_us: int
    rank: int | None
    sex_rank: int | None
    category_rank: int | None


@dataclass(frozen=True, slots=True)
class Announced:
    """A runner past the last split who has not finished yet."""

    race: str
    bib: str
    first_name: str
    last_name: str
    club: str
    category: str | None
    split: str
    split_us: int  # the instant of the split passing
    split_time_us: int  # race time at the split
    expected_us: int  # projected finish instant


@dataclass(frozen=True, slots=True)
class Course:
    """Where a race's last split lies: its code and distances (0 m: unknown)."""

    race: str
    last_split: str | None
    split_m: int
    finish_m: int


def recent_arrivals(race: str, results: Iterable[EntrantResult], limit: int) -> list[Arrival]:
    """The race's last ``limit`` finishers, the most recent finish first."""
    found = [
        Arrival(
            race=race,
            bib=r.entrant.bib,
            first_name=r.entrant.first_name,
            last_name=r.entrant.last_name,
            club=r.entrant.club,
            sex=r.entrant.sex,
            category=r.category,
            finish_us=r.finish_us,
            time_us=r.ranking_time_us,
            rank=r.rank,
            sex_rank=r.sex_rank,
            category_rank=r.category_rank,
        )
        for r in results
        if r.status is Status.FIN and r.finish_us is not None and r.ranking_time_us is not None
    ]
    found.sort(key=lambda a: (a.finish_us, a.bib), reverse=True)
    return found[:limit]


def expected_finish_us(
    split_us: int, split_time_us: int, split_m: int, finish_m: int
) -> int | None:
    """Project the finish instant at the pace held up to the split; None without distances."""
    if split_m <= 0 or finish_m <= split_m or split_time_us <= 0:
        return None
    return split_us + split_time_us * (finish_m - split_m) // split_m


def arriving_soon(
    course: Course, results: Iterable[EntrantResult], now_us: int, limit: int
) -> list[Announced]:
    """Runners on course past the last split, still expected; the first expected first."""
    split = course.last_split
    if split is None:
        return []
    found: list[Announced] = []
    for r in results:
        split_time = r.splits_us.get(split)
        # Only a runner on course is called in: a finisher is on the arrivals list instead,
        # and a DNF (by hand, or once the race has closed) or a DSQ is not announced.
        if split_time is None or r.status is not Status.ONC:
            continue
        start = r.chip_start_us or 0
        split_us = start + split_time
        expected = expected_finish_us(split_us, split_time, course.split_m, course.finish_m)
        if expected is None:
            expected, stale = split_us, split_us + NO_DISTANCE_WINDOW_US
        else:
            stale = expected + max(MIN_GRACE_US, (expected - split_us) // 2)
        if now_us > stale:
            continue  # most likely stopped on the way: the speaker must not call them in
        entrant = r.entrant
        found.append(
            Announced(
                race=course.race,
                bib=entrant.bib,
                first_name=entrant.first_name,
                last_name=entrant.last_name,
                club=entrant.club,
                category=r.category,
                split=split,
                split_us=split_us,
                split_time_us=split_time,
                expected_us=expected,
            )
        )
    found.sort(key=lambda a: (a.expected_us, a.bib))
    return found[:limit]
