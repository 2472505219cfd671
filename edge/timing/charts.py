"""Charts of a race as server-rendered SVG: finishers per minute, finish-time histogram (pure).

The box is offline and pages have no build step, so charts are plain SVG strings
drawn here from numbers; the page only embeds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

MINUTE_US = 60_000_000
MAX_BAR_PX = 48
NICE_STEPS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120)
"""Bin widths (minutes) a reader takes in at a glance; the smallest giving few enough bins wins."""


@dataclass(frozen=True, slots=True)
class Bin:
    """A bar: ``count`` values in ``[start_us, start_us + width_us)``."""

    start_us: int
    width_us: int
    count: int


def finishers_per_minute(finish_instants_us: Iterable[int]) -> list[Bin]:
    """Count finishers per wall-clock minute, from the first finisher's minute to the last's."""
    minutes = [t // MINUTE_US for t in finish_instants_us]
    if not minutes:
        return []
    counts: dict[int, int] = {}
    for minute in minutes:
        counts[minute] = counts.get(minute, 0) + 1
    # Empty minutes are drawn too: a gap in arrivals is what the operator looks for.
    return [
        Bin(minute * MINUTE_US, MINUTE_US, counts.get(minute, 0))
        for minute in range(min(minutes), max(minutes) + 1)
    ]


def bin_width_us(low_us: int, high_us: int, max_bins: int = 30) -> int:
    """The smallest nice width (1, 2, 5, 10... minutes) cutting [low, high] into ≤ max_bins."""
    for step in NICE_STEPS_MIN:
        width = step * MINUTE_US
        if high_us // width - low_us // width + 1 <= max_bins:
            return width
    return NICE_STEPS_MIN[-1] * MINUTE_US


def time_histogram(times_us: Iterable[int], max_bins: int = 30) -> list[Bin]:
    """Histogram of race times with nice bin edges (multiples of the width)."""
    values = sorted(times_us)
    if not values:
        return []
    width = bin_width_us(values[0], values[-1], max_bins)
    first = values[0] // width
    counts = [0] * (values[-1] // width - first + 1)
    for value in values:
        counts[value // width - first] += 1
    return [Bin((first + i) * width, width, count) for i, count in enumerate(counts)]


@dataclass(frozen=True, slots=True)
class Frame:
    """Where a chart draws: the SVG size and the plot area's margins."""

    width: int = 720
    height: int = 260
    left: int = 44
    right: int = 12
    top: int = 28
    bottom: int = 40


def y_ticks(top: int) -> list[int]:
    """Round tick values from 0 to at least ``top``, at most six of them (steps 1, 2, 5, 10...)."""
    step = 1
    while -(-top // step) > 5:
        # 1 -> 2 -> 5 -> 10 -> 20 -> 50...
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return list(range(0, max(step, -(-top // step) * step) + 1, step))


def bar_chart_svg(
    bins: Sequence[Bin],
    label: Callable[[int], str],
    *,
    title: str,
    describe: Callable[[Bin], str],
    frame: Frame = Frame(),
    max_labels: int = 12,
) -> str:
    """An SVG bar chart of ``bins``; x labels by ``label(start_us)``, tooltips by ``describe``."""
    plot_w = frame.width - frame.left - frame.right
    plot_h = frame.height - frame.top - frame.bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" '
        f'aria-label="{escape(title)}">',
        f'<text x="{frame.left}" y="18" class="chart-title" font-size="14" '
        f'font-weight="600">{escape(title)}</text>',
    ]
    ticks = y_ticks(max((b.count for b in bins), default=0))
    scale = plot_h / ticks[-1]
    base_y = frame.top + plot_h
    for tick in ticks:
        y = base_y - tick * scale
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#dfe3e8"/>'
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b6570">{tick}</text>'
        )
    if bins:
        slot = plot_w / len(bins)
        every = -(-len(bins) // max_labels)  # ceil: never more labels than fit
        for index, item in enumerate(bins):
            x = frame.left + index * slot
            height = item.count * scale
            bar = min(slot * 0.8, MAX_BAR_PX)  # a lone bar as wide as the chart reads as a wall
            parts.append(
                f'<rect class="bar" x="{x + (slot - bar) / 2:.1f}" y="{base_y - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" fill="#1f6feb" '
                f'data-count="{item.count}"><title>{escape(describe(item))}</title></rect>'
            )
            if index % every == 0:
                parts.append(
                    f'<text x="{x + slot / 2:.1f}" y="{base_y + 16}" text-anchor="middle" '
                    f'font-size="11" fill="#5b6570">{escape(label(item.start_us))}</text>'
                )
    parts.append(
        f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{base_y}" '
        f'y2="{base_y}" stroke="#5b6570"/></svg>'
    )
    return "".join(parts)
