"""On course or DNF: a runner with no finish is on course until the race closes."""

from __future__ import annotations

from edge.timing.course import (
    OPEN_WITHOUT_CUTOFF_US,
    mark_on_course,
    race_closes_us,
    race_live,
    race_open,
)
from edge.timing.export import result_row
from edge.timing.model import EntrantInfo, EntrantResult, Status
from edge.timing.results import compute_results
from tests.unit.test_results_rules import GUN, MIN, WAVE_B, at, make_spec

CLOSES = WAVE_B + 120 * MIN  # wave B's start + the 2 h cutoff
HOUR = 60 * MIN


def test_a_race_is_open_until_its_last_wave_cutoff() -> None:
    spec = make_spec()  # cutoff 2 h; wave B starts 10 min after wave A
    assert race_open(spec, GUN - MIN)  # before the gun too: nobody has finished yet
    assert race_open(spec, CLOSES)
    assert not race_open(spec, CLOSES + 1)


def test_without_a_cutoff_a_race_is_open_for_a_day_after_its_last_wave() -> None:
    spec = make_spec(cutoff_us=None)
    assert race_open(spec, WAVE_B + OPEN_WITHOUT_CUTOFF_US)
    assert not race_open(spec, WAVE_B + OPEN_WITHOUT_CUTOFF_US + 1)
    assert race_open(make_spec(cutoff_us=None, waves={}), 0)  # no wave: nothing says it is over


def field() -> list[EntrantResult]:
    """Bib 1 finished, 2 and 5 passed 5K only, 3 was set DNF by hand, 4 DSQ, 6 never seen."""
    entrants = [
        EntrantInfo(bib="1"),
        EntrantInfo(bib="2"),
        EntrantInfo(bib="3", manual_status="DNF"),
        EntrantInfo(bib="4", manual_status="DSQ"),
        EntrantInfo(bib="5"),
        EntrantInfo(bib="6"),
    ]
    passings = [
        at("1", "5K", 20 * MIN),
        at("1", "FINISH", 41 * MIN),
        at("2", "5K", 25 * MIN),
        at("3", "5K", 22 * MIN),
        at("4", "FINISH", 39 * MIN),
        at("5", "START", 0),
    ]
    return compute_results(make_spec(), entrants, passings)


def statuses(results: list[EntrantResult]) -> list[tuple[str, Status]]:
    return [(r.entrant.bib, r.status) for r in results]


def test_while_the_race_is_open_runners_without_a_finish_are_on_course() -> None:
    marked = mark_on_course(make_spec(), field(), CLOSES)
    # Finishers, then on course, DNF, DNS, DSQ; bib order within each.
    assert statuses(marked) == [
        ("1", Status.FIN),
        ("2", Status.ONC),
        ("5", Status.ONC),
        ("3", Status.DNF),  # the operator said DNF: DNF while the race is open too
        ("6", Status.DNS),
        ("4", Status.DSQ),
    ]
    running = marked[1]
    assert running.splits_us == {"5K": 25 * MIN}  # the split it passed stays with it
    assert (running.rank, running.finish_us, running.ranking_time_us) == (None, None, None)


def test_once_the_race_has_closed_they_are_dnf() -> None:
    assert statuses(mark_on_course(make_spec(), field(), CLOSES + 1)) == [
        ("1", Status.FIN),
        ("2", Status.DNF),
        ("3", Status.DNF),
        ("5", Status.DNF),
        ("6", Status.DNS),
        ("4", Status.DSQ),
    ]


def test_the_engine_results_are_left_as_they_were() -> None:
    computed = field()
    mark_on_course(make_spec(), computed, CLOSES)
    assert Status.ONC not in [r.status for r in computed]


def test_an_exported_row_on_course_carries_its_splits_and_no_time() -> None:
    spec = make_spec()
    marked = {r.entrant.bib: r for r in mark_on_course(spec, field(), CLOSES)}
    row = result_row(marked["2"], spec)
    assert (row["status"], row["split_5K"], row["rank"], row["chip_time"]) == (
        "ONC",
        "0:25:00.0",
        None,
        None,
    )
    closed = {r.entrant.bib: r for r in mark_on_course(spec, field(), CLOSES + 1)}
    row = result_row(closed["2"], spec)
    assert (row["status"], row["split_5K"]) == ("DNF", None)  # a DNF row is as it always was
    assert result_row(marked["1"], spec)["split_5K"] == "0:20:00.0"


def test_a_race_is_live_from_its_first_gun_until_it_closes() -> None:
    waves = [GUN, GUN + 10 * MIN]
    closes = GUN + 10 * MIN + HOUR
    assert not race_live(waves, HOUR, GUN - 1)  # not started: an update may still run
    assert race_live(waves, HOUR, GUN)
    assert race_live(waves, HOUR, closes)
    assert not race_live(waves, HOUR, closes + 1)
    assert race_closes_us(waves, None) == GUN + 10 * MIN + OPEN_WITHOUT_CUTOFF_US
    assert not race_live([], HOUR, GUN)  # a race without waves never starts
