"""The speaker's lists: last arrivals and runners arriving soon (pure)."""

from __future__ import annotations

import dataclasses

from edge.timing.arrivals import (
    MIN_GRACE_US,
    MINUTE_US,
    NO_DISTANCE_WINDOW_US,
    Course,
    arriving_soon,
    expected_finish_us,
    recent_arrivals,
)
from edge.timing.model import EntrantInfo, EntrantResult, Status

START = 1_776_000_000 * 1_000_000
COURSE = Course(race="10K", last_split="KM5", split_m=5000, finish_m=10000)


def finisher(bib: str, minutes: float, rank: int, manual: str | None = None) -> EntrantResult:
    time = round(minutes * MINUTE_US)
    entrant = EntrantInfo(bib=bib, first_name="A", last_name=f"Runner{bib}", manual_status=manual)
    return EntrantResult(
        entrant=entrant,
        status=Status.DSQ if manual else Status.FIN,
        category="SE-M",
        finish_us=START + time,
        chip_start_us=START,
        chip_time_us=time,
        ranking_time_us=None if manual else time,
        rank=None if manual else rank,
        category_rank=None if manual else rank,
        splits_us={"KM5": time // 2},
    )


def at_split(bib: str, minutes: float, manual: str | None = None) -> EntrantResult:
    """A runner seen at the split only, as the race sheet gives it while the race is open."""
    entrant = EntrantInfo(bib=bib, last_name=f"Runner{bib}", manual_status=manual)
    return EntrantResult(
        entrant=entrant,
        status=Status.DNF if manual else Status.ONC,
        chip_start_us=START,
        splits_us={"KM5": round(minutes * MINUTE_US)},
    )


def test_recent_arrivals_newest_first_and_limited() -> None:
    results = [finisher("1", 30, 1), finisher("2", 35, 2), finisher("3", 40, 3), at_split("4", 20)]
    shown = recent_arrivals("10K", results, limit=2)
    assert [(a.bib, a.rank, a.time_us) for a in shown] == [
        ("3", 3, 40 * MINUTE_US),
        ("2", 2, 35 * MINUTE_US),
    ]
    assert shown[0].race == "10K"


def test_a_disqualified_finisher_is_not_announced() -> None:
    shown = recent_arrivals("10K", [finisher("1", 30, 1), finisher("2", 31, 0, "DSQ")], 10)
    assert [a.bib for a in shown] == ["1"]


def test_expected_finish_projects_the_pace_at_the_split() -> None:
    split_us = START + 20 * MINUTE_US
    assert expected_finish_us(split_us, 20 * MINUTE_US, 5000, 10000) == START + 40 * MINUTE_US
    assert expected_finish_us(split_us, 20 * MINUTE_US, 7500, 10000) == split_us + 400_000_000
    assert expected_finish_us(split_us, 20 * MINUTE_US, 0, 10000) is None
    assert expected_finish_us(split_us, 20 * MINUTE_US, 5000, 5000) is None


def test_arriving_soon_in_expected_order_without_finishers_or_the_long_gone() -> None:
    results = [
        at_split("slow", 25),  # expected at 50 min
        at_split("fast", 18),  # expected at 36 min
        at_split("gone", 10),  # expected at 20 min, dropped after 20 + 5 min grace
        at_split("dnf", 17, manual="DNF"),
        finisher("done", 30, 1),
    ]
    now = START + 26 * MINUTE_US
    soon = arriving_soon(COURSE, results, now, limit=10)
    assert [(a.bib, a.expected_us - START) for a in soon] == [
        ("fast", 36 * MINUTE_US),
        ("slow", 50 * MINUTE_US),
    ]
    assert soon[0].split_us == START + 18 * MINUTE_US
    assert [a.bib for a in arriving_soon(COURSE, results, now, limit=1)] == ["fast"]
    # Within the grace after its expected arrival, a runner is still called in.
    assert "gone" in [a.bib for a in arriving_soon(COURSE, results, START + 24 * MINUTE_US, 10)]
    assert MIN_GRACE_US == 5 * MINUTE_US


def test_once_the_race_has_closed_nobody_is_called_in() -> None:
    running = at_split("late", 25)  # expected at 50 min
    now = START + 49 * MINUTE_US
    assert [a.bib for a in arriving_soon(COURSE, [running], now, 10)] == ["late"]
    closed = dataclasses.replace(running, status=Status.DNF)  # past the cutoff: DNF
    assert arriving_soon(COURSE, [closed], now, 10) == []


def test_arriving_soon_without_distances_keeps_split_order_for_a_while() -> None:
    course = Course(race="10K", last_split="KM5", split_m=0, finish_m=0)
    results = [at_split("b", 20), at_split("a", 15)]
    soon = arriving_soon(course, results, START + 21 * MINUTE_US, 10)
    assert [a.bib for a in soon] == ["a", "b"]
    late = START + 15 * MINUTE_US + NO_DISTANCE_WINDOW_US + 1
    assert [a.bib for a in arriving_soon(course, results, late, 10)] == ["b"]


def test_a_race_without_splits_announces_nobody() -> None:
    course = Course(race="5K", last_split=None, split_m=0, finish_m=5000)
    assert arriving_soon(course, [at_split("1", 10)], START, 10) == []
