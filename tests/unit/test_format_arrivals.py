"""What the speaker announces in lap, timed and relay races (pure, hand-computed)."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from edge.timing.arrivals import Arrival, lap_arrivals, race_arrivals, relay_handovers
from edge.timing.model import (
    EntrantInfo,
    EntrantResult,
    LegResult,
    RaceFormat,
    RaceSpec,
    RelayResult,
    Status,
)

S = 1_000_000
MIN = 60 * S
START = 1_776_000_000 * S


def lapper(bib: str, laps_us: list[int], status: Status, rank: int | None = None) -> EntrantResult:
    """A lap race's result: laps from the start; a finisher ranked on the whole time."""
    total = sum(laps_us)
    finished = status is Status.FIN
    return EntrantResult(
        entrant=EntrantInfo(bib=bib, first_name="Jo", last_name=f"Rider{bib}", club="VC"),
        status=status,
        category="SE-M",
        finish_us=START + total if finished else None,
        chip_start_us=START,
        ranking_time_us=total if finished else None,
        rank=rank,
        category_rank=rank,
        laps=len(laps_us),
        lap_times_us=laps_us,
    )


CRIT = [
    lapper("1", [10 * MIN, 9 * MIN + 30 * S, 9 * MIN + 500_000], Status.FIN, rank=1),
    lapper("2", [11 * MIN, 11 * MIN], Status.ONC),
    lapper("3", [12 * MIN], Status.DNF),  # stopped: not announced
]


def shown(arrivals: list[Arrival]) -> list[tuple[object, ...]]:
    return [(a.bib, a.finish_us - START, a.time_us, a.laps, a.laps_to_go, a.rank) for a in arrivals]


def test_every_lap_crossing_is_announced_with_the_laps_to_go() -> None:
    assert shown(lap_arrivals("CRIT", 3, CRIT, limit=10)) == [
        ("1", 28 * MIN + 30_500_000, 28 * MIN + 30_500_000, 3, 0, 1),  # finished, ranked
        ("2", 22 * MIN, 22 * MIN, 2, 1, None),  # on the last lap
        ("1", 19 * MIN + 30 * S, 19 * MIN + 30 * S, 2, 1, None),
        ("2", 11 * MIN, 11 * MIN, 1, 2, None),  # two laps to go
        ("1", 10 * MIN, 10 * MIN, 1, 2, None),
    ]
    assert [a.bib for a in lap_arrivals("CRIT", 3, CRIT, limit=2)] == ["1", "2"]


def test_a_finishers_last_crossing_carries_its_ranks_and_ranking_time() -> None:
    # A gun-timed finisher who crossed the start mat 5 s after the gun: the finish shows
    # the ranking (gun) time, the laps before it the time since the runner's own start.
    gun = lapper("9", [10 * MIN, 10 * MIN], Status.FIN, rank=4)
    gun = dataclasses.replace(gun, ranking_time_us=20 * MIN + 5 * S, sex_rank=2)
    last, first = lap_arrivals("CRIT", 2, [gun], limit=5)
    assert (last.time_us, last.rank, last.sex_rank, last.category_rank) == (
        20 * MIN + 5 * S,
        4,
        2,
        4,
    )
    assert (first.time_us, first.rank, first.category_rank) == (10 * MIN, None, None)


def test_a_timed_race_announces_the_lap_without_laps_to_go() -> None:
    runner = lapper("5", [8 * MIN, 8 * MIN], Status.FIN, rank=1)
    assert shown(lap_arrivals("6H", None, [runner], limit=5)) == [
        ("5", 16 * MIN, 16 * MIN, 2, None, 1),
        ("5", 8 * MIN, 8 * MIN, 1, None, None),
    ]


def runner(bib: str, last: str) -> EntrantInfo:
    return EntrantInfo(bib=bib, first_name="Al", last_name=last, team="T", club="AC")


def leg(
    code: str, bib: str, end_min: float | None, time_min: float | None, rank: int | None
) -> LegResult:
    return LegResult(
        leg=code,
        entrant=runner(bib, f"Runner{bib}"),
        end_us=START + round(end_min * MIN) if end_min is not None else None,
        time_us=round(time_min * MIN) if time_min is not None else None,
        rank=rank,
    )


FUSEES = RelayResult(
    team="Les Fusées",
    status=Status.FIN,
    legs=[leg("L1", "301", 12, 12, 1), leg("L2", "302", 23, 11, 1), leg("L3", "303", 36, 13, 1)],
    wave_start_us=START,
    total_us=36 * MIN,
    rank=1,
)
ZEBRE = RelayResult(
    team="Team Zèbre",
    status=Status.ONC,
    legs=[
        leg("L1", "311", 15, 15, 2),
        leg("L2", "312", None, None, None),
        leg("L3", "313", None, None, None),
    ],
    wave_start_us=START,
)
GONE = RelayResult(
    team="Gone",
    status=Status.DNF,
    legs=[
        leg("L1", "321", 14, 14, 3),
        leg("L2", "322", None, None, None),
        leg("L3", "323", None, None, None),
    ],
    wave_start_us=START,
)


def test_a_relay_announces_each_handover_with_the_leg_that_starts() -> None:
    handovers = relay_handovers("RELAY", [FUSEES, ZEBRE, GONE], limit=10)
    assert [
        (a.team, a.bib, a.leg, a.next_leg, a.time_us, a.leg_rank, a.rank) for a in handovers
    ] == [
        ("Les Fusées", "303", "L3", None, 36 * MIN, 1, 1),  # the team's finish: ranked
        ("Les Fusées", "302", "L2", "L3", 23 * MIN, 1, None),
        ("Team Zèbre", "311", "L1", "L2", 15 * MIN, 2, None),
        ("Les Fusées", "301", "L1", "L2", 12 * MIN, 1, None),
    ]
    assert handovers[2].last_name == "Runner311"  # the runner coming in, not the next one


def spec(format: RaceFormat, laps: int | None = None) -> RaceSpec:
    return RaceSpec(
        code="R",
        timing="gun",
        min_time_us=0,
        cutoff_us=None,
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=(),
        waves={"A": START},
        first_wave="A",
        format=format,
        laps=laps,
        legs=("L1", "L2", "L3"),
    )


def test_each_format_announces_its_own_arrivals() -> None:
    laps = race_arrivals(spec(RaceFormat.LAPS, 3), CRIT, [], limit=10)
    assert [(a.race, a.laps_to_go) for a in laps][:2] == [("R", 0), ("R", 1)]
    timed = race_arrivals(spec(RaceFormat.TIMED), CRIT, [], limit=10)
    assert [a.laps_to_go for a in timed] == [None] * 5
    relay = race_arrivals(spec(RaceFormat.RELAY), CRIT, [FUSEES], limit=10)
    assert [a.bib for a in relay] == ["303", "302", "301"]
    point = race_arrivals(spec(RaceFormat.POINT), CRIT, [FUSEES], limit=10)
    assert [(a.bib, a.laps, a.team) for a in point] == [("1", None, None)]  # finishers only


@given(
    st.lists(
        st.lists(st.integers(min_value=1, max_value=5 * MIN), max_size=12),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=1, max_value=15),
)
def test_the_last_crossings_are_the_newest_of_all_crossings(
    laps_of: list[list[int]], limit: int
) -> None:
    field = [lapper(str(n), laps, Status.ONC) for n, laps in enumerate(laps_of)]
    every = sorted(
        (
            (START + sum(laps[:number]), str(n), number)
            for n, laps in enumerate(laps_of)
            for number in range(1, len(laps) + 1)
        ),
        reverse=True,
    )
    shown = lap_arrivals("24H", None, field, limit)
    assert [(a.finish_us, a.bib, a.laps) for a in shown] == every[:limit]
