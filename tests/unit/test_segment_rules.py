"""Hand-computed cases of segment times (a triathlon, issue 19)."""

from __future__ import annotations

from edge.timing.export import result_columns, result_row
from edge.timing.model import EntrantInfo, EntrantResult, PassingInfo, RaceSpec, Segment
from edge.timing.model import Status as St
from edge.timing.results import compute_results

S = 1_000_000
MIN = 60 * S
GUN = 1_776_000_000 * S
POINTS = ("T1_IN", "T1_OUT", "T2_IN", "T2_OUT")
SPEC = RaceSpec(
    code="TRI",
    timing="chip",
    min_time_us=30 * MIN,
    cutoff_us=240 * MIN,
    start_points=frozenset({"START"}),
    finish_points=frozenset({"FINISH"}),
    split_points=POINTS,
    waves={"A": GUN},
    first_wave="A",
    segments=(
        Segment("SWIM", "START", "T1_IN"),
        Segment("T1", "T1_IN", "T1_OUT"),
        Segment("BIKE", "T1_OUT", "T2_IN"),
        Segment("T2", "T2_IN", "T2_OUT"),
        Segment("RUN", "T2_OUT", "FINISH"),
    ),
)


def athlete(**minutes: float) -> EntrantResult:
    passings = [PassingInfo("1", point, GUN + round(m * MIN)) for point, m in minutes.items()]
    (result,) = compute_results(SPEC, [EntrantInfo(bib="1")], passings)
    return result


def test_each_segment_runs_from_its_from_passing_to_its_to_passing() -> None:
    result = athlete(START=0.5, T1_IN=20.5, T1_OUT=22.5, T2_IN=82.5, T2_OUT=84, FINISH=125)
    assert result.segments_us == {
        "SWIM": 20 * MIN, "T1": 2 * MIN, "BIKE": 60 * MIN, "T2": 1.5 * MIN, "RUN": 41 * MIN,
    }  # fmt: skip
    assert result.chip_time_us == sum(v or 0 for v in result.segments_us.values())


def test_a_missing_mat_empties_its_two_segments_and_keeps_the_total() -> None:
    result = athlete(START=0, T1_IN=20, T2_IN=80, T2_OUT=82, FINISH=120)  # T1_OUT missed
    assert result.segments_us["T1"] is None
    assert result.segments_us["BIKE"] is None
    assert result.segments_us["SWIM"] == 20 * MIN
    assert result.segments_us["RUN"] == 38 * MIN
    assert result.status is St.FIN
    assert result.chip_time_us == 120 * MIN


def test_a_passing_before_the_previous_segment_ended_is_not_taken() -> None:
    # T2_IN read at 21 min while the athlete was still in T1 (a shared transition area).
    early_only = athlete(START=0, T1_IN=20, T2_IN=21, T1_OUT=22, T2_OUT=82, FINISH=120)
    assert early_only.segments_us["BIKE"] is None
    passings = [
        PassingInfo("1", point, GUN + minutes * MIN)
        for point, minutes in (
            ("START", 0), ("T1_IN", 20), ("T2_IN", 21), ("T1_OUT", 22),
            ("T2_IN", 80), ("T2_OUT", 82), ("FINISH", 120),
        )
    ]  # fmt: skip
    (both,) = compute_results(SPEC, [EntrantInfo(bib="1")], passings)
    assert both.segments_us["BIKE"] == 58 * MIN
    assert both.segments_us["T2"] == 2 * MIN


def test_segment_columns_and_ranks() -> None:
    people = [EntrantInfo(bib=b) for b in ("1", "2", "3")]
    passings = [
        *(PassingInfo("1", p, GUN + m * MIN) for p, m in (("T1_IN", 20), ("FINISH", 100))),
        *(PassingInfo("2", p, GUN + m * MIN) for p, m in (("T1_IN", 18), ("FINISH", 110))),
        *(PassingInfo("3", p, GUN + m * MIN) for p, m in (("T1_IN", 20),)),
    ]
    results = {r.entrant.bib: r for r in compute_results(SPEC, people, passings)}
    assert [results[b].segment_ranks["SWIM"] for b in "123"] == [2, 1, 2]
    assert result_columns(SPEC)[-5:] == ["seg_SWIM", "seg_T1", "seg_BIKE", "seg_T2", "seg_RUN"]
    row = result_row(results["3"], SPEC)  # a DNF keeps its swim
    assert (row["status"], row["seg_SWIM"], row["seg_RUN"]) == ("DNF", "0:20:00.0", None)
