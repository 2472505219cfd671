"""Properties of the lap, timed, relay and segment rules over generated races (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.timing.model import (
    EntrantInfo,
    PassingInfo,
    RaceFormat,
    RaceSpec,
    Segment,
    Status,
)
from edge.timing.relay import compute_relay
from edge.timing.results import RaceResults, compute_results

S = 1_000_000
MIN = 60 * S
GUN = 1_776_000_000 * S
BIBS = ("1", "2", "3", "4", "5", "6")
POINTS = ("START", "MID", "FINISH", "FINISH", "FINISH")


@dataclass(frozen=True)
class Race:
    """A generated race: its definition, entrants and passings."""

    spec: RaceSpec
    people: list[EntrantInfo]
    passings: list[PassingInfo]


def _spec(draw: st.DrawFn, race_format: RaceFormat) -> RaceSpec:
    return RaceSpec(
        code="R",
        timing=draw(st.sampled_from(("chip", "gun"))),
        min_time_us=0,
        cutoff_us=draw(st.sampled_from((None, 50 * MIN))),
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=("MID",),
        waves={"A": GUN, "B": GUN + 2 * MIN},
        first_wave="A",
        format=race_format,
        laps=draw(st.integers(1, 4)) if race_format is RaceFormat.LAPS else None,
        min_lap_us=draw(st.sampled_from((0, 3 * MIN, 5 * MIN))),
        duration_us=40 * MIN if race_format is RaceFormat.TIMED else None,
        legs=("L1", "L2", "L3") if race_format is RaceFormat.RELAY else (),
        min_leg_us=draw(st.sampled_from((0, 4 * MIN))),
        segments=draw(
            st.sampled_from(((), (Segment("ONE", "START", "MID"), Segment("TWO", "MID", "FINISH"))))
        ),
    )


@st.composite
def races(draw: st.DrawFn, formats: tuple[RaceFormat, ...] = tuple(RaceFormat)) -> Race:
    """Small races on a coarse 1-minute grid, so that ties and bounces are common."""
    race_format = draw(st.sampled_from(formats))
    spec = _spec(draw, race_format)
    bibs = draw(st.lists(st.sampled_from(BIBS), min_size=1, unique=True))
    people = [
        EntrantInfo(
            bib=bib,
            sex=draw(st.sampled_from((None, "F", "M"))),
            team=f"T{int(bib) % 2}",
            leg=f"L{(int(bib) - 1) // 2 + 1}",
            wave=draw(st.sampled_from((None, "A", "B"))),
            manual_status=draw(st.sampled_from((*(None,) * 8, "DSQ", "DNF"))),
        )
        for bib in bibs
    ]
    grid = st.integers(-3, 60).map(lambda minute: GUN + minute * MIN)
    reads = st.tuples(st.sampled_from(POINTS), grid)
    passings = [
        PassingInfo(bib, point, time_us)
        for bib in (*bibs, "404")
        for point, time_us in draw(st.lists(reads, max_size=8))
    ]
    return Race(spec, people, draw(st.permutations(passings)))


@settings(max_examples=150)
@given(races(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_passing_order(race: Race, rnd: random.Random) -> None:
    shuffled = list(race.passings)
    rnd.shuffle(shuffled)
    if race.spec.format is RaceFormat.RELAY:
        assert compute_relay(race.spec, race.people, shuffled) == compute_relay(
            race.spec, race.people, race.passings
        )
    assert compute_results(race.spec, race.people, shuffled) == compute_results(
        race.spec, race.people, race.passings
    )


@settings(max_examples=150)
@given(races((RaceFormat.LAPS, RaceFormat.TIMED)), st.data())
def test_a_bounced_read_within_min_lap_never_adds_a_lap(race: Race, data: st.DataObject) -> None:
    """A second read of a counted crossing, sooner than min_lap after it, is not a lap."""
    before = {r.entrant.bib: r for r in compute_results(race.spec, race.people, race.passings)}
    bounces = []
    for result in before.values():
        instant = result.chip_start_us or 0
        for lap in result.lap_times_us:
            instant += lap
            after = data.draw(st.integers(0, max(race.spec.min_lap_us - 1, 0)))
            bounces.append(PassingInfo(result.entrant.bib, "FINISH", instant + after))
    after_bounces = compute_results(race.spec, race.people, [*race.passings, *bounces])
    for result in after_bounces:
        assert result.laps == before[result.entrant.bib].laps
        assert result.lap_times_us == before[result.entrant.bib].lap_times_us


@settings(max_examples=150)
@given(races((RaceFormat.LAPS, RaceFormat.TIMED)))
def test_lap_times_add_up_and_respect_min_lap(race: Race) -> None:
    for result in compute_results(race.spec, race.people, race.passings):
        assert all(lap > 0 for lap in result.lap_times_us)
        assert all(lap >= race.spec.min_lap_us for lap in result.lap_times_us[1:])
        if result.status is Status.FIN:
            assert result.chip_time_us == sum(result.lap_times_us)


@settings(max_examples=150)
@given(races((RaceFormat.TIMED,)))
def test_a_timed_race_never_ranks_fewer_laps_above_more(race: Race) -> None:
    ranked = [r for r in compute_results(race.spec, race.people, race.passings) if r.rank]
    for better in ranked:
        for worse in ranked:
            if (better.laps or 0) > (worse.laps or 0):
                assert (better.rank or 0) < (worse.rank or 0)
    laps = [r.laps or 0 for r in ranked]
    assert laps == sorted(laps, reverse=True)


@settings(max_examples=100)
@given(races(), st.randoms(use_true_random=False))
def test_adding_passings_one_by_one_matches_a_full_recompute(
    race: Race, rnd: random.Random
) -> None:
    live = RaceResults(race.spec, race.people, [])
    for passing in race.passings:
        live.add_passing(passing)
    assert live.results() == RaceResults(race.spec, race.people, race.passings).results()


@settings(max_examples=150)
@given(races((RaceFormat.RELAY,)))
def test_relay_total_is_the_sum_of_its_legs(race: Race) -> None:
    for team in compute_relay(race.spec, race.people, race.passings):
        times = [leg.time_us for leg in team.legs]
        if team.status is Status.FIN:
            assert team.total_us == sum(t or 0 for t in times)
        # A missing leg empties every leg after it.
        if None in times:
            assert all(t is None for t in times[times.index(None) :])
