"""Crossing estimation: passes, strays, repeats and the three ways to place a crossing."""

from __future__ import annotations

import random

import pytest

from edge.timing.crossing import Crossing, CrossingSettings, RawRead, estimate_crossings
from edge.timing.quadfit import fit_parabola, fit_parabola_robust

T0 = 1_776_000_000_000_000
MS = 1_000
S = 1_000_000
EVERY_PASS = CrossingSettings(repeat_window_us=0)


def parabola(
    epc: str,
    top_us: int,
    offsets_ms: range | list[int],
    *,
    peak: float = -45.0,
    curvature: float = 100.0,
    antenna: int = 1,
) -> list[RawRead]:
    """Reads of a tag whose RSSI peaks at ``top_us``, exactly on the curve."""
    return [
        RawRead(epc, antenna, peak - curvature * (offset / 1000) ** 2, top_us + offset * MS)
        for offset in offsets_ms
    ]


def flat(epc: str, start_us: int, count: int, step_us: int, rssi: float = -60.0) -> list[RawRead]:
    """Reads of a tag at a steady level, ``step_us`` apart."""
    return [RawRead(epc, 1, rssi, start_us + index * step_us) for index in range(count)]


def only(crossings: list[Crossing]) -> Crossing:
    assert len(crossings) == 1, crossings
    return crossings[0]


def test_no_reads_give_no_passings() -> None:
    assert estimate_crossings([]) == []


def test_quadreg_finds_the_rssi_peak_between_reads() -> None:
    # Reads every 30 ms starting 7 ms off the peak: the peak itself is never read.
    reads = parabola("A", T0, range(-353, 400, 30))
    crossing = only(estimate_crossings(reads))
    assert abs(crossing.time_us - T0) <= 1
    assert crossing.method == "quadreg"
    assert crossing.status == "valid"
    assert crossing.read_count == len(reads)
    assert (crossing.first_us, crossing.last_us) == (reads[0].time_us, reads[-1].time_us)
    assert crossing.peak_rssi_dbm == max(r.rssi_dbm for r in reads)


def test_quadreg_ignores_multipath_outliers() -> None:
    rng = random.Random(7)
    reads = [
        RawRead(r.epc, r.antenna, round(r.rssi_dbm + rng.gauss(0.0, 1.0)), r.time_us)
        for r in parabola("A", T0, range(-400, 401, 20))
    ]
    # Reflections make a few reads far stronger or weaker than the curve says.
    for index, jump in ((5, 12.0), (14, -10.0), (30, 14.0)):
        read = reads[index]
        reads[index] = RawRead(read.epc, read.antenna, read.rssi_dbm + jump, read.time_us)
    crossing = only(estimate_crossings(reads))
    assert crossing.method == "quadreg"
    assert abs(crossing.time_us - T0) < 15 * MS


def test_antennas_with_different_peaks_agree_on_one_crossing() -> None:
    reads = parabola("A", T0, range(-300, 301, 25), peak=-44.0) + parabola(
        "A", T0, range(-290, 300, 40), peak=-51.0, antenna=2
    )
    crossing = only(estimate_crossings(reads))
    assert crossing.method == "quadreg"
    assert crossing.read_count == len(reads)
    assert abs(crossing.time_us - T0) <= 1


def test_strongest_takes_the_earliest_of_equal_maxima() -> None:
    reads = [
        RawRead("A", 1, -60.0, T0),
        RawRead("A", 2, -50.0, T0 + 100 * MS),
        RawRead("A", 1, -50.0, T0 + 200 * MS),
        RawRead("A", 1, -55.0, T0 + 300 * MS),
    ]
    crossing = only(estimate_crossings(reads, CrossingSettings(method="strongest")))
    assert (crossing.time_us, crossing.method) == (T0 + 100 * MS, "strongest")


def test_first_takes_the_first_read() -> None:
    reads = parabola("A", T0, range(-300, 301, 50))
    crossing = only(estimate_crossings(reads, CrossingSettings(method="first")))
    assert (crossing.time_us, crossing.method) == (T0 - 300 * MS, "first")


@pytest.mark.parametrize(
    ("name", "reads"),
    [
        # RSSI dips in the middle: the parabola opens upward.
        ("upward", [RawRead("A", 1, -50.0 + (i - 5) ** 2, T0 + i * 50 * MS) for i in range(11)]),
        # RSSI still rising at the last read: the vertex lies after the pass.
        ("outside", parabola("A", T0 + S, range(-600, -99, 50))),
        # Many reads, but only two instants: no parabola is determined.
        (
            "two instants",
            [RawRead("A", a, r, T0 + t) for a, r, t in [(1, -60, 0), (2, -50, 0), (1, -55, MS)]],
        ),
    ],
)
def test_quadreg_falls_back_to_the_strongest_read(name: str, reads: list[RawRead]) -> None:
    crossing = only(estimate_crossings(reads))
    strongest = max(reads, key=lambda r: r.rssi_dbm)
    assert (crossing.time_us, crossing.method) == (strongest.time_us, "strongest"), name


def test_a_quiet_gap_longer_than_the_setting_starts_a_new_pass() -> None:
    reads = flat("A", T0, 5, 100 * MS) + flat("A", T0 + 400 * MS + 400 * MS, 5, 100 * MS)
    # The second block starts exactly 0.4 s after the first ends: still one pass.
    assert only(estimate_crossings(reads, EVERY_PASS)).read_count == 10
    later = flat("A", T0, 5, 100 * MS) + flat("A", T0 + 800 * MS + 1, 5, 100 * MS)
    assert [c.read_count for c in estimate_crossings(later, EVERY_PASS)] == [5, 5]


def test_reads_from_all_antennas_form_one_pass() -> None:
    # Each antenna alone has 0.6 s holes; together the tag is never quiet for 0.4 s.
    reads = [RawRead("A", 1 + i % 2, -55.0, T0 + i * 300 * MS) for i in range(6)]
    assert only(estimate_crossings(reads, CrossingSettings(method="first"))).read_count == 6


def test_a_tag_read_longer_than_the_stray_limit_is_one_stray_passing() -> None:
    reads = flat("A", T0, 82, 100 * MS)  # 8.1 s of continuous reads
    crossing = only(estimate_crossings(reads))
    assert crossing.status == "stray"
    assert (crossing.time_us, crossing.method, crossing.read_count) == (T0, "first", 82)


def test_a_pass_of_exactly_the_stray_limit_is_valid() -> None:
    reads = flat("A", T0, 81, 100 * MS)  # 8.0 s
    assert only(estimate_crossings(reads, CrossingSettings(method="first"))).status == "valid"


def test_repeats_are_measured_from_the_last_kept_passing() -> None:
    settings = CrossingSettings(method="first")
    reads = flat("A", T0, 3, 100 * MS) + flat("A", T0 + 2 * S, 3, 100 * MS)
    reads += flat("A", T0 + 3 * S, 3, 100 * MS) + flat("A", T0 + 5 * S, 3, 100 * MS)
    # 2 s after the first: dropped. 3 s after it: kept. 5 s is only 2 s after that one.
    assert [c.time_us for c in estimate_crossings(reads, settings)] == [T0, T0 + 3 * S]


def test_repeat_window_is_per_tag() -> None:
    reads = flat("A", T0, 3, 100 * MS) + flat("B", T0 + S, 3, 100 * MS)
    assert [c.epc for c in estimate_crossings(reads, CrossingSettings(method="first"))] == [
        "A",
        "B",
    ]


def test_passings_are_sorted_by_time_then_epc() -> None:
    reads = flat("B", T0, 3, 100 * MS) + flat("A", T0, 3, 100 * MS)
    reads += flat("C", T0 - S, 3, 100 * MS)
    crossings = estimate_crossings(reads, CrossingSettings(method="first"))
    assert [(c.epc, c.time_us) for c in crossings] == [("C", T0 - S), ("A", T0), ("B", T0)]


def test_result_does_not_depend_on_read_order() -> None:
    reads = parabola("A", T0, range(-300, 301, 20)) + parabola("B", T0 + 50 * MS, range(-200, 250))
    shuffled = list(reads)
    random.Random(3).shuffle(shuffled)
    assert estimate_crossings(shuffled) == estimate_crossings(reads)


def test_an_unknown_method_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="quadreg, strongest, first"):
        CrossingSettings(method="peak")


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="quiet_gap_us"):
        CrossingSettings(quiet_gap_us=-1)


def test_fit_recovers_the_coefficients_of_an_exact_parabola() -> None:
    ts = [0.0, 0.1, 0.25, 0.4, 0.7]
    fit = fit_parabola(ts, [-3.0 * t * t + 2.0 * t - 50.0 for t in ts])
    assert fit is not None
    assert fit.at(0.5) == pytest.approx(-3.0 * 0.25 + 1.0 - 50.0)
    assert fit.vertex() == pytest.approx(1.0 / 3.0)


def test_fit_needs_three_distinct_instants() -> None:
    assert fit_parabola([0.0, 0.0, 1.0, 1.0], [-50.0, -51.0, -52.0, -53.0]) is None
    assert fit_parabola_robust([0.0, 1.0], [-50.0, -51.0]) is None


def test_robust_fit_leaves_out_the_read_off_the_curve() -> None:
    ts = [i / 10 for i in range(11)]
    ys = [-40.0 * (t - 0.5) ** 2 - 50.0 for t in ts]
    ys[2] += 10.0
    fit = fit_parabola_robust(ts, ys)
    assert fit is not None
    assert fit.used == 10
    assert fit.vertex() == pytest.approx(0.5)
