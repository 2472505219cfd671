"""The emulator's triathlon: one mat per emulator, one consistent race across them."""

from __future__ import annotations

import pytest

from edge.rfid.emulator import TriathlonScenario
from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.triathlon import COURSE, TRANSITION_MATS


def at_every_mat(**settings: object) -> dict[str, dict[int, int]]:
    """Per mat, what its own emulator reads: bib -> offset."""
    return {
        point: {c.bib: c.offset_us for c in TriathlonScenario(point=point, **settings).crossings()}  # type: ignore[arg-type]
        for point in COURSE
    }


def test_emulators_of_different_mats_play_one_race_in_course_order() -> None:
    mats = at_every_mat(runners=150, waves=2, wave_gap_s=300)
    for bib in range(1, 151):
        seen = [mats[point][bib] for point in COURSE if bib in mats[point]]
        assert seen == sorted(seen), f"bib {bib} passes the mats out of order"
    assert len(mats["START"]) == 150
    assert 130 <= len(mats["FINISH"]) < 150  # dropouts, and no miss at the finish


def test_segment_times_follow_the_means_given() -> None:
    race = TriathlonScenario(runners=200, segment_s=(600, 60, 1800, 30, 1200), dropout_share=0)
    for index, mean_s in enumerate((600, 60, 1800, 30, 1200)):
        start, end = COURSE[index], COURSE[index + 1]
        times = [(a.passed_us[end] - a.passed_us[start]) / 1e6 for a in race.athletes()]
        assert 0.9 * mean_s < sum(times) / len(times) < 1.1 * mean_s
        assert min(times) < mean_s < max(times)


def test_a_missed_tag_is_absent_at_one_transition_mat_and_read_around_it() -> None:
    settings = {"runners": 200, "miss_share": 0.1, "dropout_share": 0.0}
    mats = at_every_mat(**settings)
    athletes = TriathlonScenario(**settings).athletes()  # type: ignore[arg-type]
    missed = [a for a in athletes if a.unread_at is not None]
    assert 8 <= len(missed) <= 35
    for athlete in athletes:
        unread = [point for point in COURSE if athlete.bib not in mats[point]]
        assert unread == ([athlete.unread_at] if athlete.unread_at else [])
    assert {a.unread_at for a in missed} <= set(TRANSITION_MATS)


def test_dropouts_are_not_seen_after_the_segment_they_left() -> None:
    race = TriathlonScenario(runners=200, dropout_share=0.2, miss_share=0)
    reached = [list(a.passed_us) for a in race.athletes()]
    assert all(mats == list(COURSE[: len(mats)]) for mats in reached)
    assert 20 <= sum(len(mats) < len(COURSE) for mats in reached) <= 60


def test_each_mat_draws_its_own_passes() -> None:
    start = list(TriathlonScenario(runners=3, point="START").reads())
    finish = list(TriathlonScenario(runners=3, point="FINISH").reads())
    assert start == list(TriathlonScenario(runners=3, point="START").reads())
    shape = [(r.antenna_id, r.peak_rssi_dbm) for r in start]
    assert shape != [(r.antenna_id, r.peak_rssi_dbm) for r in finish]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"point": "T3"}, "unknown mat 'T3'; the course has START, T1_IN"),
        ({"segment_s": (1, 2, 3)}, "give 5 positive segment times"),
        ({"segment_s": (1, 2, 3, 0, 5)}, "give 5 positive segment times"),
        ({"miss_share": 1.1}, "between 0 and 1"),
        ({"waves": 0}, "at least one wave"),
    ],
)
def test_inconsistent_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidScenario, match=message):
        TriathlonScenario(**settings)  # type: ignore[arg-type]
