"""RaceResults kept up to date one passing at a time, as reads arrive on race day."""

from __future__ import annotations

from edge.timing.model import EntrantInfo, PassingInfo, RaceSpec, Status
from edge.timing.results import RaceResults, compute_results

MIN = 60_000_000
GUN = 1_776_000_000_000_000

SPEC = RaceSpec(
    code="10K",
    timing="chip",
    min_time_us=20 * MIN,
    cutoff_us=120 * MIN,
    start_points=frozenset({"START"}),
    finish_points=frozenset({"FINISH"}),
    split_points=("5K",),
    waves={"A": GUN},
    first_wave="A",
)
PEOPLE = [EntrantInfo("1", sex="F"), EntrantInfo("2", sex="M"), EntrantInfo("3", sex="F")]


def read(bib: str, point: str, minutes: float) -> PassingInfo:
    """A read ``minutes`` after the gun."""
    return PassingInfo(bib=bib, point=point, time_us=GUN + int(minutes * MIN))


def test_a_new_finish_returns_the_entrants_ranked_result() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("1", "FINISH", 40)])
    result = engine.add_passing(read("2", "FINISH", 35))
    assert result is not None
    assert (result.status, result.rank, result.sex_rank) == (Status.FIN, 1, 1)
    assert result.ranking_time_us == 35 * MIN


def test_a_faster_newcomer_pushes_everyone_behind_down() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("1", "FINISH", 40), read("2", "FINISH", 45)])
    engine.add_passing(read("3", "FINISH", 30))
    assert [(r.entrant.bib, r.rank, r.sex_rank) for r in engine.results()] == [
        ("3", 1, 1),
        ("1", 2, 2),
        ("2", 3, 1),
    ]
    first = engine.result_of("1")
    assert first is not None
    assert first.rank == 2


def test_a_start_read_changes_chip_time_and_ranks() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("1", "FINISH", 40), read("2", "FINISH", 39)])
    result = engine.add_passing(read("1", "START", 2))
    assert result is not None
    assert (result.chip_time_us, result.rank) == (38 * MIN, 1)
    second = engine.result_of("2")
    assert second is not None
    assert second.rank == 2


def test_an_earlier_valid_finish_replaces_a_later_one() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("1", "FINISH", 40)])
    result = engine.add_passing(read("1", "FINISH", 33))
    assert result is not None
    assert result.finish_us == GUN + 33 * MIN
    assert engine.results() == compute_results(
        SPEC, PEOPLE, [read("1", "FINISH", 40), read("1", "FINISH", 33)]
    )


def test_a_read_for_an_unknown_bib_is_ignored() -> None:
    engine = RaceResults(SPEC, PEOPLE, [])
    before = engine.results()
    assert engine.add_passing(read("99", "FINISH", 30)) is None
    assert engine.result_of("99") is None
    assert engine.results() == before


def test_a_read_at_a_point_outside_the_race_changes_nothing() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("1", "FINISH", 40)])
    before = engine.result_of("1")
    assert engine.add_passing(read("1", "HALF_FINISH", 30)) == before


def test_a_dnf_becomes_a_finisher_when_its_finish_arrives() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("2", "5K", 15)])
    dnf = engine.result_of("2")
    assert dnf is not None
    assert dnf.status is Status.DNF
    result = engine.add_passing(read("2", "FINISH", 32))
    assert result is not None
    assert (result.status, result.rank, result.splits_us) == (Status.FIN, 1, {"5K": 15 * MIN})


def test_results_handed_out_are_copies() -> None:
    engine = RaceResults(SPEC, PEOPLE, [read("1", "FINISH", 40)])
    handed = engine.results()
    handed[0].rank = 99
    handed[0].splits_us["5K"] = 1
    again = engine.result_of("1")
    assert again is not None
    assert (again.rank, again.splits_us) == (1, {"5K": None})
