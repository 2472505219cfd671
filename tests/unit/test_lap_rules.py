"""Hand-computed cases of the lap and timed race rules (issue 19)."""

from __future__ import annotations

import dataclasses

from edge.timing.export import result_columns, result_row
from edge.timing.laps import counted_crossings
from edge.timing.model import EntrantInfo, EntrantResult, PassingInfo, RaceFormat, RaceSpec
from edge.timing.model import Status as St
from edge.timing.results import compute_results

S = 1_000_000
MIN = 60 * S
GUN = 1_776_000_000 * S


def crit(**changes: object) -> RaceSpec:
    """A criterium: 3 laps of FINISH, 1 min 30 s minimum lap, 1 h cutoff, gun start."""
    spec = RaceSpec(
        code="CRIT",
        timing="chip",
        min_time_us=0,
        cutoff_us=60 * MIN,
        start_points=frozenset(),
        finish_points=frozenset({"FINISH"}),
        split_points=(),
        waves={"A": GUN, "B": GUN + 5 * MIN},
        first_wave="A",
        format=RaceFormat.LAPS,
        laps=3,
        min_lap_us=90 * S,
    )
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def timed(**changes: object) -> RaceSpec:
    """A one-hour race on a 1,250 m lap, 3 min minimum lap."""
    return crit(
        **{
            "format": RaceFormat.TIMED,
            "laps": None,
            "duration_us": 60 * MIN,
            "cutoff_us": None,
            "lap_distance_m": 1250,
            "min_lap_us": 3 * MIN,
            **changes,
        }
    )


def crossings(bib: str, *offsets_s: float, point: str = "FINISH") -> list[PassingInfo]:
    return [PassingInfo(bib, point, GUN + round(o * S)) for o in offsets_s]


def by_bib(spec: RaceSpec, passings: list[PassingInfo], *bibs: str) -> dict[str, EntrantResult]:
    people = [EntrantInfo(bib=b, sex="M") for b in bibs]
    return {r.entrant.bib: r for r in compute_results(spec, people, passings)}


# --- counting -----------------------------------------------------------------------------


def test_counted_crossings_skip_the_bounce_and_the_start_window() -> None:
    # 60 s is before start + min_lap; 100 s counts; 150 s is 50 s after it (a bounce);
    # 190 s is exactly 90 s after 100 s: counts; 300 s counts.
    found = counted_crossings([60 * S, 150 * S, 100 * S, 190 * S, 300 * S], 0, 90 * S, None)
    assert found == [100 * S, 190 * S, 300 * S]


def test_counted_crossings_stop_at_the_limit_and_the_window_end() -> None:
    assert counted_crossings([100 * S, 200 * S, 300 * S], 0, 90 * S, None, limit=2) == [
        100 * S,
        200 * S,
    ]
    assert counted_crossings([100 * S, 200 * S, 300 * S], 0, 90 * S, 200 * S) == [100 * S, 200 * S]


def test_a_crossing_at_the_instant_of_the_last_counted_never_adds_a_lap() -> None:
    assert counted_crossings([5 * S, 5 * S, 0], 0, 0, None) == [5 * S]


# --- laps races ----------------------------------------------------------------------------


def test_laps_race_finishes_on_the_crossing_completing_the_last_lap() -> None:
    passings = crossings("1", 100, 130, 200, 310, 400)  # 130: bounce; 400: after the finish
    result = by_bib(crit(), passings, "1")["1"]
    assert result.status is St.FIN
    assert result.laps == 3
    assert result.lap_times_us == [100 * S, 100 * S, 110 * S]
    assert result.finish_us == GUN + 310 * S
    assert result.gun_time_us == result.chip_time_us == 310 * S


def test_laps_race_fewer_laps_by_the_cutoff_is_dnf_and_keeps_its_laps() -> None:
    passings = crossings("1", 100, 200, 61 * 60)  # the third after the 1 h cutoff
    result = by_bib(crit(), passings, "1")["1"]
    assert result.status is St.DNF
    assert result.laps == 2
    assert result.ranking_time_us is None
    row = result_row(result, crit())
    assert row["laps"] == 2
    assert (row["lap_1"], row["lap_2"], row["lap_3"]) == ("0:01:40.0", "0:01:40.0", None)
    assert row["rank"] is None
    assert row["gun_time"] is None


def test_laps_race_first_crossing_before_min_lap_is_the_start_line_not_a_lap() -> None:
    passings = crossings("1", 10, 100, 200, 300)
    result = by_bib(crit(), passings, "1")["1"]
    assert result.lap_times_us == [100 * S, 100 * S, 100 * S]


def test_laps_race_counts_from_its_wave_start_and_laps_from_the_chip_start() -> None:
    spec = crit(start_points=frozenset({"START"}))
    wave_b = GUN + 5 * MIN
    passings = [
        PassingInfo("1", "START", wave_b + 4 * S),
        *[PassingInfo("1", "FINISH", wave_b + t * S) for t in (80, 104, 204, 304)],
    ]
    person = EntrantInfo(bib="1", wave="B")
    (result,) = compute_results(spec, [person], passings)
    # 80 s is within min_lap of the wave start: not a lap.
    assert result.lap_times_us == [100 * S, 100 * S, 100 * S]
    assert result.chip_time_us == 300 * S
    assert result.gun_time_us == 304 * S


def test_laps_race_ranks_like_a_point_race() -> None:
    passings = [
        *crossings("1", 100, 200, 300),
        *crossings("2", 95, 190, 290),
        *crossings("3", 100, 200, 290),
        *crossings("4", 100, 200),
    ]
    results = by_bib(crit(), passings, "1", "2", "3", "4")
    assert [results[b].rank for b in "1234"] == [3, 1, 1, None]
    ordered = compute_results(crit(), [EntrantInfo(bib=b) for b in "4321"], passings)
    assert [r.entrant.bib for r in ordered] == ["2", "3", "1", "4"]


def test_laps_race_columns_have_one_per_lap() -> None:
    assert result_columns(crit())[-4:] == ["laps", "lap_1", "lap_2", "lap_3"]


# --- timed races ---------------------------------------------------------------------------


def test_timed_race_ranks_more_laps_first_then_the_earlier_last_lap() -> None:
    passings = [
        *crossings("1", 600, 1200, 1800),  # 3 laps, last at 30:00
        *crossings("2", 500, 1000, 1500, 2000),  # 4 laps
        *crossings("3", 590, 1190, 1790),  # 3 laps, last at 29:50
        *crossings("4", 3700),  # after the hour: no lap
        *crossings("5", 100),  # before the minimum lap: no lap
    ]
    results = by_bib(timed(), passings, "1", "2", "3", "4", "5", "6")
    assert [results[b].rank for b in "123"] == [3, 1, 2]
    assert results["2"].laps == 4
    assert results["2"].gun_time_us == 2000 * S
    assert results["4"].status is St.DNS  # only seen after the window
    assert results["5"].status is St.DNF  # seen in the window, no lap
    assert results["6"].status is St.DNS


def test_timed_race_counts_a_lap_exactly_at_the_end_of_the_duration() -> None:
    result = by_bib(timed(), crossings("1", 600, 3600), "1")["1"]
    assert result.laps == 2


def test_timed_race_exports_laps_and_distance() -> None:
    spec = timed()
    result = by_bib(spec, crossings("1", 600, 1200, 1800), "1")["1"]
    row = result_row(result, spec)
    assert (row["laps"], row["distance_m"], row["gun_time"]) == (3, 3750, "0:30:00.0")
    assert result_columns(spec)[-2:] == ["laps", "distance_m"]
    assert result_row(result, timed(lap_distance_m=None))["distance_m"] is None


def test_timed_race_uses_the_chip_start_for_chip_time() -> None:
    spec = timed(start_points=frozenset({"START"}))
    passings = [PassingInfo("1", "START", GUN + 20 * S), *crossings("1", 620, 1220)]
    result = by_bib(spec, passings, "1")["1"]
    assert (result.gun_time_us, result.chip_time_us) == (1220 * S, 1200 * S)
