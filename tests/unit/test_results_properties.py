"""Properties of the results engine over generated small races (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.timing.course import CourseMarks, mark_on_course, race_open
from edge.timing.model import (
    STATUS_ORDER,
    EntrantInfo,
    EntrantResult,
    PassingInfo,
    RaceSpec,
    Status,
)
from edge.timing.results import RaceResults, compute_results

MIN = 60_000_000
GUN = 1_776_000_000_000_000
# FINISH is listed thrice so that most generated races have finishers, and ties.
POINTS = ("START", "5K", "FINISH", "FINISH", "FINISH", "ELSEWHERE")
BIBS = ("1", "2", "3", "10", "A")


@dataclass(frozen=True)
class Race:
    """One generated race: its definition, entrants and passings."""

    spec: RaceSpec
    people: list[EntrantInfo]
    passings: list[PassingInfo]


@st.composite
def races(draw: st.DrawFn) -> Race:
    """Small races whose reads fall on a coarse grid so that ties are common."""
    spec = RaceSpec(
        code="10K",
        timing=draw(st.sampled_from(("chip", "gun"))),
        min_time_us=20 * MIN,
        cutoff_us=draw(st.sampled_from((60 * MIN, None))),
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=("5K",),
        waves={"A": GUN, "B": GUN + 5 * MIN},
        first_wave="A",
    )
    bibs = draw(st.lists(st.sampled_from(BIBS), min_size=2, max_size=len(BIBS), unique=True))
    people = [
        EntrantInfo(
            bib=bib,
            sex=draw(st.sampled_from((None, "F", "M"))),
            wave=draw(st.sampled_from((None, "A", "B"))),
            category_override=draw(st.sampled_from((None, "X", "Y"))),
            manual_status=draw(st.sampled_from((*(None,) * 8, "DSQ", "DNF"))),
        )
        for bib in bibs
    ]
    # Steps of 5 minutes from 10 min before the gun to 70 min after it.
    grid = st.integers(-2, 14).map(lambda step: GUN + step * 5 * MIN)
    reads = st.tuples(st.sampled_from(POINTS), grid)
    passings = [
        PassingInfo(bib, point, time_us)
        for bib in (*bibs, "404")  # 404 is not an entrant: its reads must be ignored
        for point, time_us in draw(st.lists(reads, max_size=4))
    ]
    return Race(spec, people, draw(st.permutations(passings)))


def _finishers(results: list[EntrantResult]) -> list[EntrantResult]:
    return [r for r in results if r.status is Status.FIN]


def _expected_rank(result: EntrantResult, group: list[EntrantResult]) -> int:
    assert result.ranking_time_us is not None
    return 1 + sum(
        1
        for r in group
        if r.ranking_time_us is not None and r.ranking_time_us < result.ranking_time_us
    )


@settings(max_examples=100)
@given(races())
def test_ranks_are_competition_ranks_among_finishers(race: Race) -> None:
    results = compute_results(race.spec, race.people, race.passings)
    finishers = _finishers(results)
    for result in results:
        if result.status is not Status.FIN:
            assert (result.rank, result.sex_rank, result.category_rank) == (None, None, None)
            continue
        assert result.rank == _expected_rank(result, finishers)
        same_sex = [r for r in finishers if r.entrant.sex == result.entrant.sex]
        assert result.sex_rank == (_expected_rank(result, same_sex) if result.entrant.sex else None)
        same_category = [r for r in finishers if r.category == result.category]
        assert result.category_rank == (
            _expected_rank(result, same_category) if result.category else None
        )
    # Export order lists finishers first, by ranking time.
    assert results[: len(finishers)] == finishers
    assert [r.rank for r in finishers] == sorted(r.rank or 0 for r in finishers)


@settings(max_examples=100)
@given(races(), st.integers(4, 12))
def test_a_slower_finisher_never_changes_the_rank_of_those_ahead(race: Race, step: int) -> None:
    before = compute_results(race.spec, race.people, race.passings)
    # A newcomer in wave A with no start read: chip and gun time are both its offset.
    newcomer = EntrantInfo(bib="NEW")
    time_us = step * 5 * MIN
    finish = PassingInfo(bib="NEW", point="FINISH", time_us=GUN + time_us)
    after = {
        r.entrant.bib: r
        for r in compute_results(race.spec, [*race.people, newcomer], [*race.passings, finish])
    }
    for result in _finishers(before):
        assert result.ranking_time_us is not None
        if result.ranking_time_us <= time_us:
            assert after[result.entrant.bib].rank == result.rank


@settings(max_examples=100)
@given(races(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_passing_order(race: Race, rnd: random.Random) -> None:
    shuffled = list(race.passings)
    rnd.shuffle(shuffled)
    assert compute_results(race.spec, race.people, shuffled) == compute_results(
        race.spec, race.people, race.passings
    )


@settings(max_examples=100)
@given(races(), st.randoms(use_true_random=False), st.integers(0, 20))
def test_adding_passings_one_by_one_matches_a_full_recompute(
    race: Race, rnd: random.Random, known: int
) -> None:
    arrival = list(race.passings)
    rnd.shuffle(arrival)
    engine = RaceResults(race.spec, race.people, arrival[:known])
    for passing in arrival[known:]:
        returned = engine.add_passing(passing)
        assert returned == engine.result_of(passing.bib)
    assert engine.results() == compute_results(race.spec, race.people, race.passings)


@settings(max_examples=100)
@given(races(), st.randoms(use_true_random=False), st.integers(0, 20), st.integers(-2, 30))
def test_a_live_sheet_after_every_passing_matches_a_full_recompute(
    race: Race, rnd: random.Random, known: int, step: int
) -> None:
    """The live race asks for its results (and marks them) after every passing: the order
    and the ranks it keeps from one sheet to the next, and the runners it keeps on course,
    are those a full recompute gives."""
    arrival = list(race.passings)
    rnd.shuffle(arrival)
    engine = RaceResults(race.spec, race.people, arrival[:known])
    marks = CourseMarks(race.spec)
    now = GUN + step * 5 * MIN
    for count in range(known, len(arrival) + 1):
        if count > known:
            engine.add_passing(arrival[count - 1])
        full = compute_results(race.spec, race.people, arrival[:count])
        assert engine.results() == full
        assert marks.mark(engine.results(), now) == mark_on_course(race.spec, full, now)


@settings(max_examples=100)
@given(races(), st.integers(-2, 30))
def test_on_course_only_replaces_a_computed_dnf_while_the_race_is_open(
    race: Race, step: int
) -> None:
    computed = compute_results(race.spec, race.people, race.passings)
    now = GUN + step * 5 * MIN  # from before the gun to past any cutoff (still in the day)
    marked = mark_on_course(race.spec, computed, now)
    before = {r.entrant.bib: r for r in computed}
    assert sorted(before) == sorted(r.entrant.bib for r in marked)
    still_open = race_open(race.spec, now)
    for result in marked:
        was = before[result.entrant.bib]
        if result.status is Status.ONC:
            assert still_open
            assert was.status is Status.DNF
            assert not result.entrant.manual_status
            assert (result.splits_us, result.rank) == (was.splits_us, None)
        else:
            assert result.status is was.status
            assert not (still_open and was.status is Status.DNF and not was.entrant.manual_status)
    # Export order: FIN, ONC, DNF, DNS, DSQ; within each the engine's own order is kept.
    assert [STATUS_ORDER[r.status] for r in marked] == sorted(
        STATUS_ORDER[r.status] for r in marked
    )
    for status in Status:
        # Runners on course come from the engine's DNF group, in its (bib) order.
        source = Status.DNF if status is Status.ONC else status
        engine_order = [r.entrant.bib for r in computed if r.status is source]
        kept = [r.entrant.bib for r in marked if r.status is status]
        assert kept == [bib for bib in engine_order if bib in kept]
