"""Team ranking: the sum of each team's best ``team_size`` ranking times."""

from __future__ import annotations

from collections.abc import Iterable

from edge.timing.model import EntrantResult, RaceSpec, Status, TeamResult
from edge.timing.ranking import bib_sort_key, competition_ranks


def _member_key(result: EntrantResult) -> tuple[int, tuple[int, int, str]]:
    # Only finishers get here, and every finisher has a ranking time.
    assert result.ranking_time_us is not None
    return (result.ranking_time_us, bib_sort_key(result.entrant.bib))


def compute_teams(spec: RaceSpec, results: Iterable[EntrantResult]) -> list[TeamResult]:
    """Rank teams by total time (ties by name), then list incomplete teams by name."""
    size = spec.team_size
    if size is None:
        return []
    finishers_of: dict[str, list[EntrantResult]] = {}
    for result in results:
        # Surrounding spaces from a spreadsheet must not split one team into two.
        name = result.entrant.team.strip()
        if not name:
            continue
        finishers = finishers_of.setdefault(name, [])
        # Manual DSQ/DNF entrants are not FIN, so they never count for their team.
        if result.status is Status.FIN and result.ranking_time_us is not None:
            finishers.append(result)

    complete: list[tuple[int, str, list[EntrantResult]]] = []
    incomplete: list[TeamResult] = []
    for name, finishers in finishers_of.items():
        finishers.sort(key=_member_key)
        if len(finishers) >= size:
            counted = finishers[:size]
            complete.append((sum(_member_key(m)[0] for m in counted), name, counted))
        else:
            # Not ranked, but its finishers are listed so the operator sees who is missing.
            incomplete.append(TeamResult(team=name, total_us=None, members=finishers))

    complete.sort(key=lambda team: (team[0], team[1]))
    ranks = competition_ranks([total for total, _, _ in complete])
    ranked = [
        TeamResult(team=name, total_us=total, members=counted, rank=rank)
        for (total, name, counted), rank in zip(complete, ranks, strict=True)
    ]
    incomplete.sort(key=lambda team: team.team)
    return [*ranked, *incomplete]
