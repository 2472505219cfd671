"""What results share: read-only empties, never a container a holder could change."""

from __future__ import annotations

import pytest

from edge.timing.model import NO_TIMES, EntrantInfo, PassingInfo, RaceSpec, Segment, Status
from edge.timing.results import RaceResults, compute_results

MIN = 60_000_000
GUN = 1_776_000_000_000_000
POINT_RACE = RaceSpec(
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
TRIATHLON = RaceSpec(
    code="TRI",
    timing="chip",
    min_time_us=20 * MIN,
    cutoff_us=300 * MIN,
    start_points=frozenset({"START"}),
    finish_points=frozenset({"FINISH"}),
    split_points=("T1",),
    waves={"A": GUN},
    first_wave="A",
    segments=(Segment("SWIM", "START", "T1"), Segment("RUN", "T1", "FINISH")),
)
PEOPLE = [EntrantInfo("1"), EntrantInfo("2"), EntrantInfo("3")]


def at(bib: str, point: str, minutes: int) -> PassingInfo:
    """A passing ``minutes`` after the gun."""
    return PassingInfo(bib, point, GUN + minutes * MIN)


def test_a_race_without_segments_shares_one_read_only_empty() -> None:
    engine = RaceResults(POINT_RACE, PEOPLE, [at("1", "FINISH", 40)])
    handed = engine.results()
    for result in handed:
        assert result.segments_us is NO_TIMES
        assert result.segment_ranks is NO_TIMES
        assert result.lap_times_us == ()
    with pytest.raises(TypeError):
        handed[0].segments_us["SWIM"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        handed[0].segment_ranks["SWIM"] = 1  # type: ignore[index]
    assert NO_TIMES == {}
    assert engine.results() == compute_results(POINT_RACE, PEOPLE, [at("1", "FINISH", 40)])


def test_segment_ranks_handed_out_are_each_results_own() -> None:
    passings = [at("1", "T1", 20), at("2", "T1", 15), at("1", "FINISH", 60)]
    engine = RaceResults(TRIATHLON, PEOPLE, passings)
    first = {r.entrant.bib: r for r in engine.results()}
    assert first["2"].segment_ranks == {"SWIM": 1, "RUN": None}
    assert first["1"].segment_ranks == {"SWIM": 2, "RUN": 1}
    first["1"].segment_ranks["SWIM"] = 99  # type: ignore[index]
    engine.add_passing(at("3", "T1", 10))
    again = {r.entrant.bib: r for r in engine.results()}
    assert again["1"].segment_ranks == {"SWIM": 3, "RUN": 1}
    assert first["2"].segment_ranks == {"SWIM": 1, "RUN": None}  # as it was handed out
    assert first["1"].segment_ranks["SWIM"] == 99
    assert again["3"].status is Status.DNF
    full = compute_results(TRIATHLON, PEOPLE, [*passings, at("3", "T1", 10)])
    assert list(again.values()) == full


def test_a_holder_changing_a_result_moves_nothing_in_the_engine() -> None:
    passings = [at("1", "FINISH", 40), at("2", "FINISH", 45)]
    engine = RaceResults(POINT_RACE, PEOPLE, passings)
    handed = {r.entrant.bib: r for r in engine.results()}
    handed["1"].status = Status.DSQ
    handed["1"].ranking_time_us = 1
    handed["1"].splits_us["5K"] = 1
    handed["2"].rank = 7
    assert engine.status_counts() == RaceResults(POINT_RACE, PEOPLE, passings).status_counts()
    # A faster finisher moves both ranks: their new results come from the passings.
    engine.add_passing(at("3", "FINISH", 30))
    again = engine.results()
    assert again == compute_results(POINT_RACE, PEOPLE, [*passings, at("3", "FINISH", 30)])
    assert [(r.entrant.bib, r.rank, r.splits_us) for r in again] == [
        ("3", 1, {"5K": None}),
        ("1", 2, {"5K": None}),
        ("2", 3, {"5K": None}),
    ]
    # What was handed out stays as its holder left it: the engine never writes to it.
    assert (handed["1"].rank, handed["1"].status, handed["2"].rank) == (1, Status.DSQ, 7)
