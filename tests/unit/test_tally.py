"""The console's counters per race format (pure)."""

from __future__ import annotations

from edge.timing.model import (
    EntrantInfo,
    EntrantResult,
    RaceFormat,
    RaceSpec,
    RelayResult,
    Status,
)
from edge.timing.tally import Tally, count_statuses, race_tally

MIN = 60_000_000
START = 1_776_000_000_000_000


def spec(format: RaceFormat, **rules: object) -> RaceSpec:
    return RaceSpec(
        code="R",
        timing="gun",
        min_time_us=0,
        cutoff_us=120 * MIN,
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=(),
        waves={"A": START},
        first_wave="A",
        format=format,
        **rules,  # type: ignore[arg-type]
    )


def results(*statuses: Status) -> list[EntrantResult]:
    return [
        EntrantResult(entrant=EntrantInfo(bib=str(n)), status=status)
        for n, status in enumerate(statuses, start=1)
    ]


def teams(*statuses: Status) -> list[RelayResult]:
    return [
        RelayResult(team=f"T{n}", status=status, legs=[], wave_start_us=START)
        for n, status in enumerate(statuses, start=1)
    ]


RUNNERS = results(Status.FIN, Status.FIN, Status.ONC, Status.DNF, Status.DSQ, Status.DNS)


def test_runners_are_counted_by_status_and_a_dns_not_at_all() -> None:
    point = race_tally(spec(RaceFormat.POINT), RUNNERS, [], START + 30 * MIN)
    assert point == Tally(started=5, finished=2, on_course=1, out=2)
    laps = race_tally(spec(RaceFormat.LAPS, laps=5), RUNNERS, [], START + 30 * MIN)
    assert laps == point  # a lap race's finishers completed its laps: FIN already says so


def test_a_timed_race_has_no_finisher_before_its_duration_is_over() -> None:
    timed = spec(RaceFormat.TIMED, duration_us=60 * MIN)
    during = race_tally(timed, RUNNERS, [], START + 59 * MIN)
    assert during == Tally(started=5, finished=0, on_course=3, out=2)
    after = race_tally(timed, RUNNERS, [], START + 61 * MIN)
    assert after == Tally(started=5, finished=2, on_course=1, out=2)


def test_a_relay_counts_its_teams_not_its_runners() -> None:
    relay = spec(RaceFormat.RELAY, legs=("L1", "L2"))
    counted = race_tally(relay, RUNNERS, teams(Status.FIN, Status.ONC, Status.DNF), START)
    assert counted == Tally(started=3, finished=1, on_course=1, out=1)


def test_tallies_add_up_over_races() -> None:
    total = count_statuses([Status.FIN, Status.DNS]) + count_statuses([Status.ONC, Status.DSQ])
    assert total == Tally(started=3, finished=1, on_course=1, out=1)
