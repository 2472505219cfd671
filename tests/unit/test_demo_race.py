"""The emulated race in waves, and the `make run` demo that plays it."""

from __future__ import annotations

from collections import Counter

import pytest

from edge.rfid.emulator.errors import InvalidScenario
from edge.rfid.emulator.race import RaceScenario
from scripts import demo_event

MINUTE_US = 60_000_000


def test_waves_start_their_runners_a_gap_apart() -> None:
    race = RaceScenario(runners=90, first_finish_s=5, spread_s=300, waves=3, wave_gap_s=120)
    by_bib = {c.bib: c.offset_us for c in race.crossings()}
    for bib, offset in by_bib.items():
        wave = race.wave_of(bib - 1)
        assert wave == (bib - 1) // 30
        assert 5_000_000 + wave * 120_000_000 <= offset <= (5 + wave * 120 + 300) * 1_000_000


def test_one_wave_plays_the_race_it_always_played() -> None:
    plain = RaceScenario(runners=50, spread_s=200)
    assert RaceScenario(runners=50, spread_s=200, waves=1, wave_gap_s=90).crossings() == (
        plain.crossings()
    )


@pytest.mark.parametrize(("waves", "gap"), [(0, 0.0), (2, -1.0)], ids=["no wave", "negative gap"])
def test_a_race_needs_waves_and_a_gap_that_is_not_negative(waves: int, gap: float) -> None:
    with pytest.raises(InvalidScenario):
        RaceScenario(waves=waves, wave_gap_s=gap)


def demo_race(point: str) -> RaceScenario:
    first, spread = demo_event.EMULATED[point]
    return RaceScenario(
        runners=demo_event.RUNNERS,
        first_finish_s=first,
        spread_s=spread,
        waves=demo_event.WAVES,
        wave_gap_s=demo_event.WAVE_GAP_S,
    )


def test_demo_entrants_are_in_the_wave_the_emulator_plays_them_in() -> None:
    race = demo_race("FINISH")
    for bib in range(1, demo_event.RUNNERS + 1):
        assert demo_event.wave_of(bib) == f"W{race.wave_of(bib - 1) + 1}"


def test_demo_runners_pass_5_km_before_they_finish() -> None:
    split = {c.bib: c.offset_us for c in demo_race("KM5").crossings()}
    finish = {c.bib: c.offset_us for c in demo_race("FINISH").crossings()}
    assert all(split[bib] < finish[bib] for bib in finish)


def test_demo_finishers_spread_over_minutes_at_a_readable_rate() -> None:
    """A speaker reads the names: never a wall of finishers in one minute."""
    minutes = Counter(c.offset_us // MINUTE_US for c in demo_race("FINISH").crossings())
    assert max(minutes) - min(minutes) >= 6
    assert max(minutes.values()) <= 40
    assert min(minutes) == 0  # the first runners finish within a minute of the start
