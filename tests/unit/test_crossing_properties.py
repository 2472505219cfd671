"""Properties of crossing estimation over generated reads (hypothesis)."""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.timing.crossing import METHODS, Crossing, CrossingSettings, RawRead, estimate_crossings

T0 = 1_776_000_000_000_000
MS = 1_000

# Reads on a 50 ms grid over 12 s: equal instants, 0.4 s gaps and 8 s passes are all common.
reads_strategy = st.lists(
    st.builds(
        RawRead,
        epc=st.sampled_from(("A", "B", "C")),
        antenna=st.integers(1, 2),
        rssi_dbm=st.integers(-80, -30).map(float),
        time_us=st.integers(0, 240).map(lambda step: T0 + step * 50 * MS),
    ),
    max_size=120,
)
settings_strategy = st.builds(
    CrossingSettings,
    method=st.sampled_from(METHODS),
    quiet_gap_us=st.sampled_from((0, 100 * MS, 400 * MS, 1_000 * MS)),
    stray_limit_us=st.sampled_from((500 * MS, 2_000 * MS, 8_000 * MS)),
    repeat_window_us=st.sampled_from((0, 500 * MS, 3_000 * MS)),
)


def _by_epc(crossings: list[Crossing]) -> dict[str, list[Crossing]]:
    grouped: dict[str, list[Crossing]] = defaultdict(list)
    for crossing in crossings:
        grouped[crossing.epc].append(crossing)
    return grouped


@settings(max_examples=200)
@given(reads_strategy, settings_strategy, st.randoms(use_true_random=False))
def test_passings_do_not_depend_on_read_order(
    reads: list[RawRead], config: CrossingSettings, rnd: random.Random
) -> None:
    shuffled = list(reads)
    rnd.shuffle(shuffled)
    assert estimate_crossings(shuffled, config) == estimate_crossings(reads, config)


@settings(max_examples=200)
@given(reads_strategy, settings_strategy)
def test_no_two_passings_of_a_tag_are_closer_than_the_repeat_window(
    reads: list[RawRead], config: CrossingSettings
) -> None:
    crossings = estimate_crossings(reads, config)
    assert crossings == sorted(crossings, key=lambda c: (c.time_us, c.epc))
    for passings in _by_epc(crossings).values():
        for before, after in pairwise(passings):
            assert after.time_us - before.time_us >= config.repeat_window_us


@settings(max_examples=200)
@given(reads_strategy, settings_strategy)
def test_every_passing_lies_in_its_pass_and_says_how_it_was_placed(
    reads: list[RawRead], config: CrossingSettings
) -> None:
    for crossing in estimate_crossings(reads, config):
        assert crossing.first_us <= crossing.time_us <= crossing.last_us
        stray = crossing.last_us - crossing.first_us > config.stray_limit_us
        assert crossing.status == ("stray" if stray else "valid")
        if stray:
            assert (crossing.method, crossing.time_us) == ("first", crossing.first_us)
        elif config.method == "quadreg":
            assert crossing.method in ("quadreg", "strongest")
        else:
            assert crossing.method == config.method


@settings(max_examples=200)
@given(reads_strategy, st.sampled_from(METHODS), st.sampled_from((0, 100 * MS, 400 * MS)))
def test_every_read_belongs_to_exactly_one_pass(
    reads: list[RawRead], method: str, quiet_gap_us: int
) -> None:
    # No repeat window and no stray limit in reach: nothing is dropped or merged.
    config = CrossingSettings(
        method=method, quiet_gap_us=quiet_gap_us, stray_limit_us=10**12, repeat_window_us=0
    )
    crossings = estimate_crossings(reads, config)
    assert sum(c.read_count for c in crossings) == len(reads)
    for epc, passings in _by_epc(crossings).items():
        for before, after in pairwise(passings):
            assert after.first_us - before.last_us > quiet_gap_us
        for crossing in passings:
            inside = [r for r in reads if r.epc == epc and crossing.first_us <= r.time_us]
            assert len([r for r in inside if r.time_us <= crossing.last_us]) == crossing.read_count


@st.composite
def clean_passes(draw: st.DrawFn) -> tuple[list[RawRead], int]:
    """Noise-free reads of one pass (1 or 2 antennas) and the instant the RSSI peaks."""
    gaps = draw(st.lists(st.integers(1 * MS, 400 * MS), min_size=2, max_size=15))
    times = [T0]
    for gap in gaps:
        times.append(times[-1] + gap)
    top = draw(st.integers(times[0], times[-1]))
    curvature = draw(st.floats(5.0, 500.0))  # dB/s², from walkers to sprinters
    reads = []
    for antenna in range(1, draw(st.integers(1, 2)) + 1):
        peak = draw(st.floats(-60.0, -35.0))
        reads += [
            RawRead("A", antenna, peak - curvature * ((t - top) / 1e6) ** 2, t) for t in times
        ]
    return reads, top


@settings(max_examples=300)
@given(clean_passes())
def test_the_vertex_of_a_clean_parabola_is_recovered_within_a_millisecond(
    case: tuple[list[RawRead], int],
) -> None:
    reads, top = case
    [crossing] = estimate_crossings(reads)
    assert abs(crossing.time_us - top) <= 1 * MS
