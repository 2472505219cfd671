"""Lap races and timed races: which crossings of the lap line count, and what they give.

Rules (issue 19): crossings of the lap point count from the wave start + ``min_lap``,
each at least ``min_lap`` after the one counted before (a bounced double read inside
``min_lap`` never adds a lap). A lap race is finished by the crossing that completes
its last lap; a timed race counts laps until the wave start + ``duration`` and ranks
by laps, then by the time of the last counted lap. Lap times are the differences
between counted crossings, the first from the entrant's chip start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from edge.timing.model import (
    START_WINDOW_US,
    EntrantInfo,
    EntrantResult,
    PassingInfo,
    RaceFormat,
    RaceSpec,
    Status,
)


def counted_crossings(
    crossings: Iterable[int],
    wave_start_us: int,
    min_lap_us: int,
    until_us: int | None,
    limit: int | None = None,
) -> list[int]:
    """The instants of the crossings that count as laps, earliest first.

    A crossing at the very instant of the start or of the last counted one is
    never a lap, even with ``min_lap_us`` 0 (the same read seen twice).
    """
    gap = max(min_lap_us, 1)
    counted: list[int] = []
    last = wave_start_us
    for time_us in sorted(crossings):
        if until_us is not None and time_us > until_us:
            break
        if time_us - last >= gap:
            counted.append(time_us)
            last = time_us
            if limit is not None and len(counted) == limit:
                break
    return counted


def lap_window_end(spec: RaceSpec, wave_start_us: int) -> int | None:
    """The last instant a crossing may count: the duration's end (timed) or the cutoff."""
    ends = []
    if spec.cutoff_us is not None:
        ends.append(wave_start_us + spec.cutoff_us)
    if spec.format is RaceFormat.TIMED and spec.duration_us is not None:
        ends.append(wave_start_us + spec.duration_us)
    return min(ends) if ends else None


def evaluate_lap_entrant(
    spec: RaceSpec,
    entrant: EntrantInfo,
    wave_start_us: int,
    category: str | None,
    passings: Sequence[PassingInfo],
    status: Status | None,
) -> EntrantResult:
    """An entrant's laps, times and status in a lap race or a timed race (no ranks).

    ``status`` is the one set by hand (None: computed). Everything below is a sort,
    a min or a max over times, so the order of ``passings`` does not matter.
    """
    window_open = wave_start_us - START_WINDOW_US
    closes = lap_window_end(spec, wave_start_us)
    lap_point = spec.counting_point
    points = spec.start_points | spec.finish_points | frozenset(spec.split_points)
    active = any(
        p.point in points and window_open <= p.time_us and (closes is None or p.time_us <= closes)
        for p in passings
    )
    limit = spec.laps if spec.format is RaceFormat.LAPS else None
    counted = counted_crossings(
        (p.time_us for p in passings if p.point == lap_point),
        wave_start_us,
        spec.min_lap_us,
        closes,
        limit,
    )
    complete = bool(counted) if spec.format is RaceFormat.TIMED else len(counted) == spec.laps
    end = counted[-1] if complete else None
    chip_start = _chip_start(spec, passings, wave_start_us, counted[0] if counted else closes)
    if status is None:
        status = Status.FIN if complete else Status.DNF if active else Status.DNS
    gun_time = chip_time = ranking_time = None
    if end is not None:
        gun_time = end - wave_start_us
        chip_time = gun_time if chip_start == wave_start_us else end - chip_start
        if status is Status.FIN:
            ranking_time = gun_time if spec.timing == "gun" else chip_time
    previous = chip_start
    lap_times = []
    for instant in counted:
        lap_times.append(instant - previous)
        previous = instant
    return EntrantResult(
        entrant=entrant,
        status=status,
        category=category,
        finish_us=end,
        chip_start_us=chip_start,
        gun_time_us=gun_time,
        chip_time_us=chip_time,
        ranking_time_us=ranking_time,
        splits_us=_lap_splits(spec, passings, chip_start, end if end is not None else closes),
        laps=len(counted),
        lap_times_us=lap_times,
    )


def _chip_start(
    spec: RaceSpec, passings: Sequence[PassingInfo], wave_start_us: int, before_us: int | None
) -> int:
    """The latest start-mat read from 5 min before the wave to the first counted lap.

    With no start read the wave start stands in (a gun start).
    """
    window_open = wave_start_us - START_WINDOW_US
    starts = [
        p.time_us
        for p in passings
        if p.point in spec.start_points
        and p.time_us >= window_open
        and (before_us is None or p.time_us < before_us)
    ]
    return max(starts) if starts else wave_start_us


def _lap_splits(
    spec: RaceSpec, passings: Sequence[PassingInfo], chip_start: int, limit: int | None
) -> dict[str, int | None]:
    """Time from chip start to the first read at each split point (the first lap's splits)."""
    splits: dict[str, int | None] = dict.fromkeys(spec.split_points)
    for passing in passings:
        time_us = passing.time_us
        if passing.point not in splits or time_us < chip_start:
            continue
        if limit is not None and time_us > limit:
            continue
        current = splits[passing.point]
        if current is None or time_us - chip_start < current:
            splits[passing.point] = time_us - chip_start
    return splits
