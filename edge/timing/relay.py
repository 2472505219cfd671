"""Relay races: a team's legs, one runner each, timed from handover to handover.

Rules (issue 19): legs run in the order the race lists them. Leg k runs from the end
of leg k-1 (the wave start for the first leg) to leg k's runner's first crossing of
the handover point at least ``min_leg`` after the leg began. The team finishes when
its last leg does; a leg without such a crossing leaves the team DNF from that leg on.
Teams are ranked by total time; each leg is ranked among the teams that ran it.
"""

from __future__ import annotations

from collections.abc import Iterable

from edge.errors import InvalidInput, Problem
from edge.timing.model import (
    START_WINDOW_US,
    STATUS_ORDER,
    EntrantInfo,
    LegResult,
    PassingInfo,
    RaceSpec,
    RelayResult,
    Status,
)
from edge.timing.ranking import competition_ranks
from edge.timing.timeline import manual_status
from edge.timing.windows import first_passing


def relay_teams(
    spec: RaceSpec, entrants: Iterable[EntrantInfo]
) -> dict[str, dict[str, EntrantInfo]]:
    """Team name -> leg code -> runner; raise InvalidInput naming every runner that fits no leg."""
    teams: dict[str, dict[str, EntrantInfo]] = {}
    problems: list[Problem] = []
    for entrant in entrants:
        where = f"bib {entrant.bib}"
        team = entrant.team.strip()
        leg = (entrant.leg or "").strip()
        if not team:
            problems.append(Problem(where, f"has no team, and race {spec.code} is a relay"))
            continue
        if leg not in spec.legs:
            legs = ", ".join(spec.legs)
            reason = (
                f"leg {leg!r} is not a leg of race {spec.code} ({legs})"
                if leg
                else (f"has no leg, and race {spec.code} is a relay (legs: {legs})")
            )
            problems.append(Problem(where, reason))
            continue
        runners = teams.setdefault(team, {})
        if leg in runners:
            other = runners[leg].bib
            problems.append(Problem(where, f"team {team!r} already has bib {other} on leg {leg}"))
            continue
        runners[leg] = entrant
    if problems:
        raise InvalidInput(problems, f"the relay teams of race {spec.code} are not consistent")
    return teams


def compute_relay(
    spec: RaceSpec, entrants: Iterable[EntrantInfo], passings: Iterable[PassingInfo]
) -> list[RelayResult]:
    """Every team's result: finishers by total time (ties by name), then the others by status."""
    teams = relay_teams(spec, entrants)
    handover = spec.counting_point
    points = spec.start_points | spec.finish_points | frozenset(spec.split_points)
    seen: dict[str, list[PassingInfo]] = {}
    for passing in passings:
        if passing.point in points:
            seen.setdefault(passing.bib, []).append(passing)
    results = [_team_result(spec, name, runners, seen, handover) for name, runners in teams.items()]
    _rank(spec, results)
    return sorted(results, key=_order)


def _team_result(
    spec: RaceSpec,
    name: str,
    runners: dict[str, EntrantInfo],
    seen: dict[str, list[PassingInfo]],
    handover: str | None,
) -> RelayResult:
    first = next((runners[leg] for leg in spec.legs if leg in runners), None)
    wave = first.wave if first is not None and first.wave is not None else spec.first_wave
    wave_start = spec.waves.get(wave, spec.waves[spec.first_wave])
    closes = wave_start + spec.cutoff_us if spec.cutoff_us is not None else None
    legs: list[LegResult] = []
    begin: int | None = wave_start
    for code in spec.legs:
        runner = runners.get(code)
        end = None
        if runner is not None and begin is not None:
            end = first_passing(seen.get(runner.bib, []), handover, begin + spec.min_leg_us, closes)
        time_us = end - begin if end is not None and begin is not None else None
        legs.append(LegResult(leg=code, entrant=runner, end_us=end, time_us=time_us))
        begin = end
    finished = begin is not None and all(leg.end_us is not None for leg in legs)
    window_open = wave_start - START_WINDOW_US
    active = any(
        window_open <= p.time_us and (closes is None or p.time_us <= closes)
        for runner in runners.values()
        for p in seen.get(runner.bib, [])
    )
    status = _manual(runners.values())
    if status is None:
        status = Status.FIN if finished else Status.DNF if active else Status.DNS
    total = begin - wave_start if finished and begin is not None else None
    return RelayResult(
        team=name,
        status=status,
        legs=legs,
        wave_start_us=wave_start,
        total_us=total if status is Status.FIN else None,
    )


def _manual(runners: Iterable[EntrantInfo]) -> Status | None:
    """A team is DSQ if any runner is, else DNF if any runner was set DNF by hand."""
    statuses = {manual_status(runner) for runner in runners}
    for status in (Status.DSQ, Status.DNF):
        if status in statuses:
            return status
    return None


def _rank(spec: RaceSpec, results: list[RelayResult]) -> None:
    finishers = [r for r in results if r.status is Status.FIN and r.total_us is not None]
    for result, rank in zip(
        finishers, competition_ranks([r.total_us or 0 for r in finishers]), strict=True
    ):
        result.rank = rank
    for index, _ in enumerate(spec.legs):
        ran = [r.legs[index] for r in results if r.legs[index].time_us is not None]
        for leg, rank in zip(
            ran, competition_ranks([leg.time_us or 0 for leg in ran]), strict=True
        ):
            leg.rank = rank


def _order(result: RelayResult) -> tuple[int, int, str, str]:
    return (
        STATUS_ORDER[result.status],
        result.total_us or 0,
        result.team.casefold(),
        result.team,
    )
