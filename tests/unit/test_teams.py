"""Team ranking: best ``team_size`` finishers summed, incomplete teams listed unranked."""

from __future__ import annotations

import dataclasses

from edge.timing.model import EntrantInfo, PassingInfo, RaceSpec
from edge.timing.results import compute_results
from edge.timing.teams import compute_teams

MIN = 60_000_000
GUN = 1_776_000_000_000_000

SPEC = RaceSpec(
    code="10K",
    timing="chip",
    min_time_us=20 * MIN,
    cutoff_us=120 * MIN,
    start_points=frozenset({"START"}),
    finish_points=frozenset({"FINISH"}),
    split_points=(),
    waves={"A": GUN},
    first_wave="A",
    team_size=2,
)


def finish(bib: str, minutes: int) -> PassingInfo:
    """A finish read ``minutes`` after the gun."""
    return PassingInfo(bib=bib, point="FINISH", time_us=GUN + minutes * MIN)


def teams_of(
    people: list[EntrantInfo], passings: list[PassingInfo], spec: RaceSpec = SPEC
) -> list[tuple[str, int | None, int | None, list[str]]]:
    """(team, rank, total minutes, member bibs) of each team, in the engine's order."""
    results = compute_results(spec, people, passings)
    return [
        (
            t.team,
            t.rank,
            t.total_us // MIN if t.total_us is not None else None,
            [m.entrant.bib for m in t.members],
        )
        for t in compute_teams(spec, results)
    ]


def test_total_is_the_sum_of_the_best_finishers_best_first() -> None:
    people = [EntrantInfo(b, team="Harriers") for b in ("1", "2", "3")]
    passings = [finish("1", 50), finish("2", 30), finish("3", 40)]
    assert teams_of(people, passings) == [("Harriers", 1, 70, ["2", "3"])]


def test_team_short_of_finishers_is_listed_unranked_after_ranked_teams() -> None:
    people = [
        EntrantInfo("1", team="Zebras"),
        EntrantInfo("2", team="Zebras"),
        EntrantInfo("3", team="Antelopes"),
        EntrantInfo("4", team="Antelopes"),
        EntrantInfo("5", team="Bisons"),
    ]
    # Bib 4 started but did not finish: Antelopes have one finisher for two places.
    passings = [
        finish("1", 40),
        finish("2", 41),
        finish("3", 30),
        PassingInfo("4", "START", GUN),
    ]
    assert teams_of(people, passings) == [
        ("Zebras", 1, 81, ["1", "2"]),
        ("Antelopes", None, None, ["3"]),
        ("Bisons", None, None, []),
    ]


def test_equal_totals_share_a_rank_and_are_listed_by_name() -> None:
    people = [
        EntrantInfo("1", team="Wolves"),
        EntrantInfo("2", team="Wolves"),
        EntrantInfo("3", team="Bears"),
        EntrantInfo("4", team="Bears"),
        EntrantInfo("5", team="Owls"),
        EntrantInfo("6", team="Owls"),
    ]
    passings = [
        finish("1", 30),
        finish("2", 40),
        finish("3", 35),
        finish("4", 35),
        finish("5", 40),
        finish("6", 41),
    ]
    assert [(name, rank, total) for name, rank, total, _ in teams_of(people, passings)] == [
        ("Bears", 1, 70),
        ("Wolves", 1, 70),
        ("Owls", 3, 81),
    ]


def test_disqualified_member_does_not_count_for_the_team() -> None:
    people = [
        EntrantInfo("1", team="Harriers", manual_status="DSQ"),
        EntrantInfo("2", team="Harriers"),
        EntrantInfo("3", team="Harriers"),
    ]
    passings = [finish("1", 25), finish("2", 30), finish("3", 40)]
    assert teams_of(people, passings) == [("Harriers", 1, 70, ["2", "3"])]


def test_entrants_without_team_and_padded_names() -> None:
    people = [
        EntrantInfo("1", team="Harriers "),
        EntrantInfo("2", team="Harriers"),
        EntrantInfo("3", team="  "),
        EntrantInfo("4"),
    ]
    passings = [finish(b, 30 + int(b)) for b in ("1", "2", "3", "4")]
    assert teams_of(people, passings) == [("Harriers", 1, 63, ["1", "2"])]


def test_gun_race_sums_gun_times() -> None:
    spec = dataclasses.replace(SPEC, timing="gun")
    people = [EntrantInfo(b, team="Harriers") for b in ("1", "2")]
    passings = [PassingInfo("1", "START", GUN + 2 * MIN), finish("1", 40), finish("2", 30)]
    assert teams_of(people, passings, spec) == [("Harriers", 1, 70, ["2", "1"])]
    assert teams_of(people, passings) == [("Harriers", 1, 68, ["2", "1"])]


def test_no_team_size_means_no_team_ranking() -> None:
    spec = dataclasses.replace(SPEC, team_size=None)
    people = [EntrantInfo("1", team="Harriers")]
    assert teams_of(people, [finish("1", 30)], spec) == []
