"""What the speaker announces: the last arrivals and who is arriving soon (pure).

Both lists are read off a race's computed results, so the speaker screen shows
exactly the times and ranks of the results pages. What an arrival is depends on the
race's format: a finish in a point race, every counted crossing of the lap line in a
lap or timed race (with the laps done and, in a lap race, the laps to go), every
handover in a relay (the team, the runner coming in, the leg that starts).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from edge.timing.model import EntrantResult, RaceFormat, RaceSpec, RelayResult, Status

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
    laps: int | None = None  # lap and timed races: the laps done with this crossing
    laps_to_go: int | None = None  # lap races: the laps still to run (0: finished)
    team: str | None = None  # relays: the team handing over
    leg: str | None = None  # relays: the leg this runner has just ended
    next_leg: str | None = None  # relays: the leg that starts (None: the team finished)
    leg_rank: int | None = None  # relays: the rank of this leg's time among that leg


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
    # The board is redrawn on every passing of a 20,000-entrant race: pick the last
    # ``limit`` finishes first, and make Arrivals of those only.
    finished = (
        r
        for r in results
        if r.status is Status.FIN and r.finish_us is not None and r.ranking_time_us is not None
    )
    newest = heapq.nlargest(limit, finished, key=lambda r: (r.finish_us or 0, r.entrant.bib))
    return [
        Arrival(
            race=race,
            bib=r.entrant.bib,
            first_name=r.entrant.first_name,
            last_name=r.entrant.last_name,
            club=r.entrant.club,
            sex=r.entrant.sex,
            category=r.category,
            finish_us=r.finish_us or 0,
            time_us=r.ranking_time_us or 0,
            rank=r.rank,
            sex_rank=r.sex_rank,
            category_rank=r.category_rank,
        )
        for r in newest
    ]


def lap_arrivals(
    race: str, laps: int | None, results: Iterable[EntrantResult], limit: int
) -> list[Arrival]:
    """The race's last ``limit`` counted crossings of the lap line, the most recent first.

    ``laps`` is the number a lap race asks for (None: a timed race, no laps to go). A
    runner's latest crossing carries the ranks once they are a finisher; the others
    show the time since the runner's own start. Runners out of the race (DNF, DSQ)
    are not announced.
    """
    # A 24-hour race holds tens of thousands of crossings and the board is redrawn on
    # every passing: only each runner's last ``limit`` crossings can be among the last
    # ``limit``, and only the chosen ones become Arrivals.
    crossings: list[tuple[int, str, int, EntrantResult]] = []
    for r in results:
        if r.status not in (Status.FIN, Status.ONC) or r.chip_start_us is None:
            continue
        instants = list(accumulate(r.lap_times_us, initial=r.chip_start_us))[1:]
        first = max(len(instants) - limit, 0)
        crossings += [
            (instants[index], r.entrant.bib, index + 1, r) for index in range(first, len(instants))
        ]
    newest = heapq.nlargest(limit, crossings, key=lambda c: (c[0], c[1]))
    return [_lap_arrival(race, laps, r, instant, number) for instant, _, number, r in newest]


def _lap_arrival(
    race: str, laps: int | None, r: EntrantResult, instant: int, number: int
) -> Arrival:
    """Crossing ``number`` of the lap line, at ``instant``, by the runner of ``r``."""
    entrant = r.entrant
    ranked = number == len(r.lap_times_us) and r.status is Status.FIN
    time_us = r.ranking_time_us if ranked else None
    return Arrival(
        race=race,
        bib=entrant.bib,
        first_name=entrant.first_name,
        last_name=entrant.last_name,
        club=entrant.club,
        sex=entrant.sex,
        category=r.category,
        finish_us=instant,
        time_us=time_us if time_us is not None else instant - (r.chip_start_us or 0),
        rank=r.rank if ranked else None,
        sex_rank=r.sex_rank if ranked else None,
        category_rank=r.category_rank if ranked else None,
        laps=number,
        laps_to_go=laps - number if laps is not None else None,
    )


def relay_handovers(race: str, teams: Iterable[RelayResult], limit: int) -> list[Arrival]:
    """The race's last ``limit`` handovers (a team's finish is its last), the most recent first.

    An arrival is the runner who ends a leg, with the team's time so far; the team's
    rank comes with its finish. Teams out of the race (DNF, DSQ) are not announced.
    """
    found: list[Arrival] = []
    for team in teams:
        if team.status not in (Status.FIN, Status.ONC):
            continue
        for index, leg in enumerate(team.legs):
            runner = leg.entrant
            if leg.end_us is None or runner is None:
                break
            following = team.legs[index + 1].leg if index + 1 < len(team.legs) else None
            finished = following is None and team.status is Status.FIN
            found.append(
                Arrival(
                    race=race,
                    bib=runner.bib,
                    first_name=runner.first_name,
                    last_name=runner.last_name,
                    club=runner.club,
                    sex=runner.sex,
                    category=None,
                    finish_us=leg.end_us,
                    time_us=leg.end_us - team.wave_start_us,
                    rank=team.rank if finished else None,
                    sex_rank=None,
                    category_rank=None,
                    team=team.team,
                    leg=leg.leg,
                    next_leg=following,
                    leg_rank=leg.rank,
                )
            )
    found.sort(key=lambda a: (a.finish_us, a.bib), reverse=True)
    return found[:limit]


def race_arrivals(
    spec: RaceSpec, results: Iterable[EntrantResult], teams: Iterable[RelayResult], limit: int
) -> list[Arrival]:
    """What the speaker announces of a race, by its format: finishes, laps or handovers."""
    if spec.format is RaceFormat.RELAY:
        return relay_handovers(spec.code, teams, limit)
    if spec.format in (RaceFormat.LAPS, RaceFormat.TIMED):
        laps = spec.laps if spec.format is RaceFormat.LAPS else None
        return lap_arrivals(spec.code, laps, results, limit)
    return recent_arrivals(spec.code, results, limit)


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
    expected_of: list[tuple[int, str, int, int, EntrantResult]] = []
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
        expected_of.append((expected, r.entrant.bib, split_us, split_time, r))
    # Thousands may be past the last split of a big race: Announced only for those shown.
    first = heapq.nsmallest(limit, expected_of, key=lambda c: (c[0], c[1]))
    return [
        Announced(
            race=course.race,
            bib=r.entrant.bib,
            first_name=r.entrant.first_name,
            last_name=r.entrant.last_name,
            club=r.entrant.club,
            category=r.category,
            split=split,
            split_us=split_us,
            split_time_us=split_time,
            expected_us=expected,
        )
        for expected, _, split_us, split_time, r in first
    ]
