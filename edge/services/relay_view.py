"""What the results page shows of a relay: a line per team, its legs unfolded on demand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edge.domain.clock import format_duration
from edge.services.result_search import entrant_matches, name_matches
from edge.timing.model import LegResult, RelayResult, Status


@dataclass(frozen=True)
class LegRow:
    """One leg of a team: its runner, the leg's time and its rank among that leg."""

    leg: str
    bib: str  # "" when the team has no runner for this leg
    name: str
    time: str
    rank: int | None


@dataclass(frozen=True)
class RelayRow:
    """A team's line: rank and total only once it finished, like any result."""

    rank: int | None
    team: str
    status: str  # FIN, ONC, DNF, DNS or DSQ, as for a runner
    time: str
    legs: list[LegRow]
    unfolded: bool  # one of its runners answered the search: show the legs at once


def leg_row(leg: LegResult) -> LegRow:
    """A leg as the page prints it (a leg not run yet has no time and no rank)."""
    runner = leg.entrant
    return LegRow(
        leg=leg.leg,
        bib=runner.bib if runner is not None else "",
        name=f"{runner.first_name} {runner.last_name}".strip() if runner is not None else "",
        time=format_duration(leg.time_us) if leg.time_us is not None else "",
        rank=leg.rank,
    )


def relay_found(teams: Iterable[RelayResult], query: str) -> list[tuple[RelayResult, bool]]:
    """Teams answering the search by team name or by one of their runners (bib or name),
    each with whether a runner answered it (its legs are then shown unfolded)."""
    found = []
    for team in teams:
        runners = [leg.entrant for leg in team.legs if leg.entrant is not None]
        by_runner = bool(query.strip()) and any(entrant_matches(r, query) for r in runners)
        if name_matches(team.team, query) or by_runner:
            found.append((team, by_runner))
    return found


def relay_row(team: RelayResult, unfolded: bool) -> RelayRow:
    """A team as the page prints it: rank and total only once it finished."""
    finished = team.status is Status.FIN
    return RelayRow(
        rank=team.rank if finished else None,
        team=team.team,
        status=team.status.value,
        time=format_duration(team.total_us) if finished and team.total_us is not None else "",
        legs=[leg_row(leg) for leg in team.legs],
        unfolded=unfolded,
    )
