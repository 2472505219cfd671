"""The emulator's lap race: who crosses the lap line when, bounces and dropouts included."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from edge.rfid.emulator import Crossing, LapsScenario
from edge.rfid.emulator.errors import InvalidScenario

US = 1_000_000


def by_bib(crossings: list[Crossing]) -> dict[int, list[Crossing]]:
    found: dict[int, list[Crossing]] = defaultdict(list)
    for crossing in crossings:
        found[crossing.bib].append(crossing)
    return found


def real_laps(crossings: list[Crossing]) -> list[int]:
    """Offsets of the crossings that end a lap (bounces left out), in order."""
    return [c.offset_us for c in crossings if c.label.startswith("lap ")]


def test_finishers_ride_every_lap_and_dropouts_fewer_all_in_order() -> None:
    race = LapsScenario(runners=60, laps=8, lap_time_s=100)
    counts = []
    for crossings in by_bib(race.crossings()).values():
        laps = [c for c in crossings if c.label.startswith("lap ")]
        assert [c.label for c in laps] == [f"lap {n}" for n in range(1, len(laps) + 1)]
        offsets = real_laps(crossings)
        assert offsets == sorted(offsets)
        counts.append(len(laps))
    assert max(counts) == 8
    dropouts = [n for n in counts if n < 8]
    assert 1 <= len(dropouts) <= 15  # 10 % of 60, give or take chance
    assert len(counts) == 60  # with 8 laps, everyone rides at least one


def test_laps_keep_a_pace_of_their_own_around_the_mean() -> None:
    race = LapsScenario(runners=60, laps=8, lap_time_s=100, start_s=7)
    paces = []
    for crossings in by_bib(race.crossings()).values():
        offsets = [7 * US, *real_laps(crossings)]
        laps = [b - a for a, b in itertools.pairwise(offsets)]
        assert max(laps) / min(laps) < 1.2  # small per-lap noise
        paces.append(sum(laps) / len(laps) / US)
    assert 90 < sum(paces) / len(paces) < 110
    assert max(paces) - min(paces) > 10  # and a spread between people


def test_a_bounce_comes_a_few_seconds_after_a_real_crossing_and_before_the_next() -> None:
    race = LapsScenario(runners=60, laps=8, lap_time_s=100, bounce_share=0.1)
    bounces = 0
    for crossings in by_bib(race.crossings()).values():
        lap_at = {c.label: c.offset_us for c in crossings if c.label.startswith("lap ")}
        for crossing in crossings:
            if not crossing.label.startswith("bounce"):
                continue
            bounces += 1
            lap = int(crossing.label.rsplit(" ", 1)[1])
            after_us = crossing.offset_us - lap_at[f"lap {lap}"]
            assert 4 * US <= after_us <= 12 * US  # past the box's 3 s repeat window
            assert crossing.offset_us < lap_at.get(f"lap {lap + 1}", crossing.offset_us + 1)
    assert 20 <= bounces <= 80  # 10 % of some 470 crossings


def test_a_timed_race_ends_each_lap_in_progress_at_the_limit_then_stops() -> None:
    race = LapsScenario(
        runners=40, laps=99, lap_time_s=300, time_limit_s=3600, start_s=2, dropout_share=0
    )
    for crossings in by_bib(race.crossings()).values():
        offsets = real_laps(crossings)
        limit_us = (2 + 3600) * US
        assert offsets[-1] >= limit_us > offsets[-2]
    assert max(len(real_laps(c)) for c in by_bib(race.crossings()).values()) < 99


def test_waves_start_a_gap_apart() -> None:
    race = LapsScenario(runners=30, laps=2, lap_time_s=60, waves=3, wave_gap_s=600)
    assert [race.gun_s(n) for n in (0, 9, 10, 19, 20, 29)] == [0, 0, 600, 600, 1200, 1200]
    first = {bib: real_laps(c)[0] for bib, c in by_bib(race.crossings()).items()}
    assert max(first[b] for b in range(1, 11)) < 600 * US < min(first[b] for b in range(11, 21))


def test_same_seed_same_reads_and_each_crossing_its_own_pass() -> None:
    race = LapsScenario(runners=5, laps=3, lap_time_s=40, bounce_share=0.5)
    reads = list(race.reads())
    assert reads == list(LapsScenario(runners=5, laps=3, lap_time_s=40, bounce_share=0.5).reads())
    assert reads != list(LapsScenario(runners=5, laps=3, lap_time_s=40, seed=7).reads())
    for crossing in race.crossings():
        near = [r for r in reads if r.epc == crossing.epc]
        near = [r for r in near if abs(r.offset_us - crossing.offset_us) < 2 * US]
        assert near, f"no read around {crossing}"
    # Two passes of one tag are drawn apart: not the same reads shifted in time.
    one = [c for c in race.crossings() if c.bib == 1]
    shapes = [
        sorted(
            (r.antenna_id, r.peak_rssi_dbm, r.offset_us - c.offset_us)
            for r in reads
            if r.epc == c.epc and abs(r.offset_us - c.offset_us) < 2 * US
        )
        for c in one
    ]
    assert len({tuple(shape) for shape in shapes}) == len(shapes)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"laps": 0}, "at least one lap"),
        ({"lap_time_s": 0}, "must be positive"),
        ({"time_limit_s": -5}, "must be positive"),
        ({"bounce_share": 1.5}, "between 0 and 1"),
        ({"dropout_share": -0.1}, "between 0 and 1"),
        ({"lap_time_s": 20}, "laps must be longer than 24 s, or bounces 0"),
        ({"waves": 0}, "at least one wave"),
    ],
)
def test_inconsistent_settings_are_refused(settings: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidScenario, match=message):
        LapsScenario(**settings)  # type: ignore[arg-type]


def test_short_laps_play_without_bounces() -> None:
    race = LapsScenario(runners=3, laps=2, lap_time_s=5, bounce_share=0)
    assert len(real_laps(race.crossings())) == len(race.crossings())
