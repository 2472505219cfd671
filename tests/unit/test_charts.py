"""Charts of a race as SVG: bins and drawing (pure)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from edge.timing.charts import (
    MINUTE_US,
    Bin,
    bar_chart_svg,
    bin_width_us,
    finishers_per_minute,
    time_histogram,
    y_ticks,
)

T0 = 1_776_000_000 * 1_000_000  # some instant on a minute boundary
SVG = "{http://www.w3.org/2000/svg}"


def test_finishers_per_minute_counts_each_minute_including_empty_ones() -> None:
    instants = [T0 + 5_000_000, T0 + 59_999_999, T0 + 2 * MINUTE_US, T0 + 2 * MINUTE_US + 1]
    assert finishers_per_minute(instants) == [
        Bin(T0, MINUTE_US, 2),
        Bin(T0 + MINUTE_US, MINUTE_US, 0),
        Bin(T0 + 2 * MINUTE_US, MINUTE_US, 2),
    ]
    assert finishers_per_minute([]) == []


def test_bin_width_is_the_smallest_nice_width_that_fits() -> None:
    assert bin_width_us(0, 29 * MINUTE_US) == MINUTE_US
    assert bin_width_us(0, 30 * MINUTE_US) == 2 * MINUTE_US
    assert bin_width_us(0, 100 * MINUTE_US) == 5 * MINUTE_US
    assert bin_width_us(0, 100 * MINUTE_US, max_bins=5) == 30 * MINUTE_US


def test_histogram_bins_start_on_multiples_of_the_width() -> None:
    times = [31 * MINUTE_US + 1, 33 * MINUTE_US, 47 * MINUTE_US, 89 * MINUTE_US]
    bins = time_histogram(times)
    width = bins[0].width_us
    assert width == 2 * MINUTE_US
    assert bins[0].start_us == 30 * MINUTE_US
    assert all(b.start_us % width == 0 for b in bins)
    assert [b.count for b in bins if b.count] == [1, 1, 1, 1]
    assert time_histogram([]) == []


@given(st.lists(st.integers(min_value=0, max_value=6 * 3600 * 1_000_000), min_size=1))
def test_histogram_keeps_every_time_in_its_bin(times: list[int]) -> None:
    bins = time_histogram(times)
    assert sum(b.count for b in bins) == len(times)
    assert len(bins) <= 30 or bins[0].width_us == 120 * MINUTE_US
    for time in times:
        assert any(b.start_us <= time < b.start_us + b.width_us for b in bins)


def test_y_ticks_are_round_and_reach_the_top() -> None:
    assert y_ticks(0) == [0, 1]
    assert y_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert y_ticks(7) == [0, 2, 4, 6, 8]
    assert y_ticks(23) == [0, 5, 10, 15, 20, 25]
    assert y_ticks(140) == [0, 50, 100, 150]


@given(st.integers(min_value=0, max_value=100_000))
def test_y_ticks_never_more_than_six(top: int) -> None:
    ticks = y_ticks(top)
    assert 2 <= len(ticks) <= 6
    assert ticks[-1] >= top


def test_bar_chart_is_valid_svg_with_one_bar_per_bin_and_escaped_text() -> None:
    bins = [Bin(T0 + i * MINUTE_US, MINUTE_US, count) for i, count in enumerate([3, 0, 7])]
    svg = bar_chart_svg(
        bins,
        lambda us: f"<{(us - T0) // MINUTE_US}>",
        title="Finishers & co",
        describe=lambda b: f"{b.count} finishers",
    )
    root = ET.fromstring(svg)
    bars = root.findall(f"{SVG}rect")
    assert [int(b.get("data-count", "")) for b in bars] == [3, 0, 7]
    heights = [float(b.get("height", "")) for b in bars]
    assert heights[1] == 0
    assert heights[2] > heights[0] > 0
    assert "Finishers &amp; co" in svg
    assert "&lt;2&gt;" in svg
    assert [t.text for b in bars for t in b.findall(f"{SVG}title")] == [
        "3 finishers",
        "0 finishers",
        "7 finishers",
    ]


def test_bar_chart_thins_out_labels_and_draws_an_empty_chart() -> None:
    bins = [Bin(i * MINUTE_US, MINUTE_US, 1) for i in range(60)]
    svg = bar_chart_svg(bins, str, title="t", describe=str, max_labels=12)
    labels = re.findall(r'text-anchor="middle"', svg)
    assert len(labels) == 12
    empty = ET.fromstring(bar_chart_svg([], str, title="nothing", describe=str))
    assert empty.findall(f"{SVG}rect") == []
