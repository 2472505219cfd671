"""Hand-computed cases of every results rule: finish, chip start, status, ranks, splits, order."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from edge.errors import InvalidInput
from edge.timing.model import CategoryRule, EntrantInfo, EntrantResult, PassingInfo, RaceSpec
from edge.timing.model import Status as St
from edge.timing.results import bib_sort_key, compute_results

S = 1_000_000
MIN = 60 * S
GUN = 1_776_000_000 * S  # wave A's start
WAVE_B = GUN + 10 * MIN


def make_spec(**changes: object) -> RaceSpec:
    """A 10K: START, a 5K split, FINISH; 20 min minimum, 2 h cutoff, waves A and B."""
    spec = RaceSpec(
        code="10K",
        timing="chip",
        min_time_us=20 * MIN,
        cutoff_us=120 * MIN,
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=("5K",),
        waves={"A": GUN, "B": WAVE_B},
        first_wave="A",
    )
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def at(bib: str, point: str, offset_us: int, wave_start: int = GUN) -> PassingInfo:
    """A passing ``offset_us`` after a wave start."""
    return PassingInfo(bib=bib, point=point, time_us=wave_start + offset_us)


def one(
    passings: list[PassingInfo], spec: RaceSpec | None = None, **entrant: object
) -> EntrantResult:
    """The result of a single entrant, bib 1."""
    person = EntrantInfo(bib="1", **entrant)  # type: ignore[arg-type]
    (result,) = compute_results(spec or make_spec(), [person], passings)
    return result


# --- finish -----------------------------------------------------------------------------


def test_finish_exactly_at_min_time_counts() -> None:
    result = one([at("1", "FINISH", 20 * MIN)])
    assert result.status is St.FIN
    assert result.finish_us == GUN + 20 * MIN
    assert result.gun_time_us == 20 * MIN


def test_finish_read_before_min_time_is_ignored_for_the_next_one() -> None:
    result = one([at("1", "FINISH", 20 * MIN - 1), at("1", "FINISH", 41 * MIN)])
    assert result.finish_us == GUN + 41 * MIN
    assert result.gun_time_us == 41 * MIN


def test_only_a_finish_read_before_min_time_is_dnf() -> None:
    result = one([at("1", "FINISH", 3 * MIN)])
    assert result.status is St.DNF
    assert result.finish_us is None
    assert result.rank is None


def test_finish_exactly_at_cutoff_counts_and_one_microsecond_later_does_not() -> None:
    assert one([at("1", "FINISH", 120 * MIN)]).status is St.FIN
    late = one([at("1", "START", 0), at("1", "FINISH", 120 * MIN + 1)])
    assert late.status is St.DNF
    assert late.finish_us is None


def test_without_cutoff_a_very_late_finish_counts() -> None:
    result = one([at("1", "FINISH", 10 * 60 * MIN)], spec=make_spec(cutoff_us=None))
    assert result.status is St.FIN
    assert result.gun_time_us == 10 * 60 * MIN


def test_earliest_finish_read_at_any_finish_point_wins() -> None:
    spec = make_spec(finish_points=frozenset({"FINISH", "FINISH2"}))
    result = one([at("1", "FINISH", 45 * MIN), at("1", "FINISH2", 44 * MIN)], spec=spec)
    assert result.finish_us == GUN + 44 * MIN


def test_times_run_from_the_entrants_own_wave() -> None:
    result = one([at("1", "FINISH", 30 * MIN, WAVE_B)], wave="B")
    assert result.gun_time_us == 30 * MIN
    assert result.chip_start_us == WAVE_B


def test_finish_inside_wave_a_window_but_before_wave_b_min_time_is_not_a_finish() -> None:
    # 25 min after gun A is only 15 min after wave B started: under the 20 min minimum.
    result = one([at("1", "FINISH", 25 * MIN)], wave="B")
    assert result.status is St.DNF


# --- chip start -------------------------------------------------------------------------


def test_start_read_exactly_five_minutes_before_the_gun_counts() -> None:
    result = one([at("1", "START", -5 * MIN), at("1", "FINISH", 40 * MIN)])
    assert result.chip_start_us == GUN - 5 * MIN
    assert result.chip_time_us == 45 * MIN
    assert result.gun_time_us == 40 * MIN


def test_start_read_just_over_five_minutes_before_the_gun_is_ignored() -> None:
    result = one([at("1", "START", -5 * MIN - 1), at("1", "FINISH", 40 * MIN)])
    assert result.chip_start_us == GUN
    assert result.chip_time_us == 40 * MIN


def test_no_start_read_means_chip_start_is_the_gun() -> None:
    result = one([at("1", "FINISH", 40 * MIN)])
    assert result.chip_start_us == GUN
    assert result.chip_time_us == result.gun_time_us == 40 * MIN


def test_latest_start_read_wins() -> None:
    result = one([at("1", "START", 30 * S), at("1", "START", -MIN), at("1", "FINISH", 40 * MIN)])
    assert result.chip_start_us == GUN + 30 * S
    assert result.chip_time_us == 40 * MIN - 30 * S


def test_start_read_at_or_after_the_finish_is_not_a_start() -> None:
    spec = make_spec(start_points=frozenset({"START", "FINISH"}))
    # The finish mat is also a start mat here: its own read must not restart the clock.
    result = one([at("1", "START", 10 * S), at("1", "FINISH", 40 * MIN)], spec=spec)
    assert result.chip_start_us == GUN + 10 * S
    after = one([at("1", "START", 10 * S), at("1", "FINISH", 40 * MIN), at("1", "START", 41 * MIN)])
    assert after.chip_start_us == GUN + 10 * S


def test_without_finish_start_reads_count_up_to_the_cutoff() -> None:
    result = one([at("1", "START", 120 * MIN)])
    assert result.status is St.DNF
    assert result.chip_start_us == GUN + 120 * MIN
    assert one([at("1", "START", 2 * MIN), at("1", "START", 121 * MIN)]).chip_start_us == (
        GUN + 2 * MIN
    )


# --- status -----------------------------------------------------------------------------


def test_dnf_when_any_read_is_in_the_window_without_finish() -> None:
    assert one([at("1", "5K", -5 * MIN)]).status is St.DNF
    assert one([at("1", "5K", 120 * MIN)]).status is St.DNF


def test_dns_when_reads_are_all_outside_the_window() -> None:
    assert one([]).status is St.DNS
    assert one([at("1", "5K", -5 * MIN - 1), at("1", "START", 120 * MIN + 1)]).status is St.DNS


def test_reads_at_points_outside_the_race_are_ignored() -> None:
    result = one([at("1", "HALF_FINISH", 30 * MIN)])
    assert result.status is St.DNS


def test_manual_dsq_and_dnf_override_a_finish_and_are_not_ranked() -> None:
    people = [
        EntrantInfo("1", manual_status="DSQ"),
        EntrantInfo("2", manual_status="DNF"),
        EntrantInfo("3"),
    ]
    passings = [
        at("1", "FINISH", 30 * MIN),
        at("2", "FINISH", 31 * MIN),
        at("3", "FINISH", 32 * MIN),
    ]
    by_bib = {r.entrant.bib: r for r in compute_results(make_spec(), people, passings)}
    assert by_bib["1"].status is St.DSQ
    assert by_bib["2"].status is St.DNF
    assert by_bib["1"].rank is None
    assert by_bib["2"].rank is None
    assert by_bib["3"].rank == 1


def test_manual_dsq_applies_even_without_any_read() -> None:
    assert one([], manual_status="DSQ").status is St.DSQ


# --- ranking ----------------------------------------------------------------------------


def test_chip_race_ranks_by_chip_time_and_gun_race_by_gun_time() -> None:
    people = [EntrantInfo("1"), EntrantInfo("2")]
    # Bib 1 crossed the start 2 min late: slower on gun time, faster on chip time.
    passings = [
        at("1", "START", 2 * MIN),
        at("1", "FINISH", 41 * MIN),
        at("2", "START", 0),
        at("2", "FINISH", 40 * MIN),
    ]
    chip = compute_results(make_spec(timing="chip"), people, passings)
    gun = compute_results(make_spec(timing="gun"), people, passings)
    assert [(r.entrant.bib, r.rank, r.ranking_time_us) for r in chip] == [
        ("1", 1, 39 * MIN),
        ("2", 2, 40 * MIN),
    ]
    assert [(r.entrant.bib, r.rank, r.ranking_time_us) for r in gun] == [
        ("2", 1, 40 * MIN),
        ("1", 2, 41 * MIN),
    ]


def test_equal_times_share_a_rank_and_the_next_rank_is_skipped() -> None:
    people = [EntrantInfo(bib) for bib in ("1", "2", "3", "4")]
    times = {"1": 30 * MIN, "2": 31 * MIN, "3": 31 * MIN, "4": 32 * MIN}
    passings = [at(bib, "FINISH", t) for bib, t in times.items()]
    ranks = [(r.entrant.bib, r.rank) for r in compute_results(make_spec(), people, passings)]
    assert ranks == [("1", 1), ("2", 2), ("3", 2), ("4", 4)]


def test_one_microsecond_apart_is_not_a_tie_even_if_displayed_equal() -> None:
    people = [EntrantInfo("1"), EntrantInfo("2")]
    passings = [at("1", "FINISH", 30 * MIN + 1), at("2", "FINISH", 30 * MIN)]
    ranks = [(r.entrant.bib, r.rank) for r in compute_results(make_spec(), people, passings)]
    assert ranks == [("2", 1), ("1", 2)]


def test_sex_and_category_ranks_count_only_their_own_group() -> None:
    spec = make_spec(
        categories=(CategoryRule("SEF", sex="F"), CategoryRule("SEM", sex="M")),
    )
    people = [
        EntrantInfo("1", sex="M"),
        EntrantInfo("2", sex="F"),
        EntrantInfo("3", sex="M", category_override="VIP"),
        EntrantInfo("4", sex="F"),
        EntrantInfo("5"),
    ]
    passings = [at(str(n), "FINISH", (30 + n) * MIN) for n in range(1, 6)]
    got = {
        r.entrant.bib: (r.rank, r.sex_rank, r.category, r.category_rank)
        for r in compute_results(spec, people, passings)
    }
    assert got == {
        "1": (1, 1, "SEM", 1),
        "2": (2, 1, "SEF", 1),
        "3": (3, 2, "VIP", 1),
        "4": (4, 2, "SEF", 2),
        "5": (5, None, None, None),
    }


def test_category_uses_age_from_the_race_rules() -> None:
    spec = make_spec(
        categories=(CategoryRule("U20", max_age=19), CategoryRule("SEN")),
        event_date=dt.date(2026, 4, 12),
    )
    assert one([], spec=spec, birth_year=2007).category == "U20"
    assert one([], spec=spec, birth_year=2006).category == "SEN"


# --- splits -----------------------------------------------------------------------------


def test_split_runs_from_chip_start_to_first_read_after_it() -> None:
    result = one(
        [
            at("1", "5K", -MIN),  # a warm-up jog over the split mat before starting
            at("1", "START", MIN),
            at("1", "5K", 21 * MIN),
            at("1", "5K", 22 * MIN),
            at("1", "FINISH", 40 * MIN),
        ]
    )
    assert result.splits_us == {"5K": 20 * MIN}


def test_split_read_exactly_at_chip_start_and_at_finish_count() -> None:
    assert one([at("1", "5K", 0), at("1", "FINISH", 40 * MIN)]).splits_us == {"5K": 0}
    assert one([at("1", "5K", 40 * MIN), at("1", "FINISH", 40 * MIN)]).splits_us == {"5K": 40 * MIN}


def test_split_read_after_finish_is_ignored() -> None:
    result = one([at("1", "FINISH", 40 * MIN), at("1", "5K", 41 * MIN)])
    assert result.splits_us == {"5K": None}


def test_split_without_finish_counts_up_to_the_cutoff() -> None:
    assert one([at("1", "5K", 120 * MIN)]).splits_us == {"5K": 120 * MIN}
    assert one([at("1", "START", 0), at("1", "5K", 120 * MIN + 1)]).splits_us == {"5K": None}


def test_every_split_point_has_a_key_in_course_order() -> None:
    spec = make_spec(split_points=("5K", "8K"))
    result = one([at("1", "8K", 33 * MIN), at("1", "FINISH", 40 * MIN)], spec=spec)
    assert list(result.splits_us.items()) == [("5K", None), ("8K", 33 * MIN)]


# --- export order, bibs, inputs ---------------------------------------------------------


def test_export_order_finishers_then_dnf_dns_dsq_each_by_bib() -> None:
    people = [EntrantInfo(bib) for bib in ("10", "9", "A2", "3", "20", "7", "2", "11", "100", "8")]
    people[4] = EntrantInfo("20", manual_status="DSQ")
    people[8] = EntrantInfo("100", manual_status="DSQ")
    passings = [
        at("10", "FINISH", 31 * MIN),
        at("9", "FINISH", 31 * MIN),
        at("A2", "FINISH", 30 * MIN),
        at("3", "FINISH", 33 * MIN),
        at("7", "START", 0),
        at("2", "5K", 10 * MIN),
        at("20", "FINISH", 29 * MIN),
    ]
    order = [
        (r.entrant.bib, r.status.value) for r in compute_results(make_spec(), people, passings)
    ]
    assert order == [
        ("A2", "FIN"),
        ("9", "FIN"),
        ("10", "FIN"),
        ("3", "FIN"),
        ("2", "DNF"),
        ("7", "DNF"),
        ("8", "DNS"),
        ("11", "DNS"),
        ("20", "DSQ"),
        ("100", "DSQ"),
    ]


def test_bib_sort_key_puts_numbers_first_by_value_then_text() -> None:
    bibs = ["B", "10", "A1", "9", "007", "7", "A10", "²"]
    assert sorted(bibs, key=bib_sort_key) == ["007", "7", "9", "10", "A1", "A10", "B", "²"]


def test_passings_for_unknown_bibs_are_ignored() -> None:
    results = compute_results(
        make_spec(),
        [EntrantInfo("1")],
        [at("999", "FINISH", 30 * MIN), at("1", "FINISH", 35 * MIN)],
    )
    assert [(r.entrant.bib, r.rank) for r in results] == [("1", 1)]


def test_entrant_without_wave_uses_the_first_wave() -> None:
    spec = make_spec(first_wave="B")
    assert one([at("1", "FINISH", 30 * MIN, WAVE_B)], spec=spec).gun_time_us == 30 * MIN


@pytest.mark.parametrize(
    ("spec", "people"),
    [
        (make_spec(timing="net"), [EntrantInfo("1")]),
        (make_spec(age_reference="birthday"), [EntrantInfo("1")]),
        (make_spec(), [EntrantInfo("1", wave="Z")]),
        (make_spec(), [EntrantInfo("1"), EntrantInfo("1")]),
    ],
)
def test_inconsistent_race_data_is_refused_with_a_reason(
    spec: RaceSpec, people: list[EntrantInfo]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_results(spec, people, [])
    assert caught.value.problems
