"""One entrant's passings turned into finish, chip start, splits and status (no ranks)."""

from __future__ import annotations

from collections.abc import Sequence

from edge.timing.laps import evaluate_lap_entrant, lap_window_end
from edge.timing.model import (
    START_WINDOW_US,
    EntrantInfo,
    EntrantResult,
    PassingInfo,
    RaceFormat,
    RaceSpec,
    Status,
)
from edge.timing.segments import segment_times

_MANUAL = {"DSQ": Status.DSQ, "DNF": Status.DNF}


def manual_status(entrant: EntrantInfo) -> Status | None:
    """Return the status set by hand (DSQ or DNF), which overrides any computed one."""
    return _MANUAL.get(entrant.manual_status) if entrant.manual_status else None


def evaluate_entrant(
    spec: RaceSpec,
    entrant: EntrantInfo,
    wave_start_us: int,
    category: str | None,
    passings: Sequence[PassingInfo],
) -> EntrantResult:
    """Compute an entrant's times and status from its passings at this race's points.

    Every choice below is a min or a max over times, so the result does not depend
    on the order of ``passings``. Ranks are left None: they need the whole field.
    ``ranking_time_us`` is set only for FIN, the only status that is ranked. Lap and
    timed races count laps (``edge.timing.laps``); a relay's runner is timed here as
    in a point race, its team by ``edge.timing.relay``.
    """
    if spec.format in (RaceFormat.LAPS, RaceFormat.TIMED):
        result = evaluate_lap_entrant(
            spec, entrant, wave_start_us, category, passings, manual_status(entrant)
        )
        if spec.segments:
            assert result.chip_start_us is not None  # always set by the lap rules
            limit = lap_window_end(spec, wave_start_us)
            result.segments_us = segment_times(
                spec, passings, result.chip_start_us, result.finish_us, limit
            )
        return result
    window_open = wave_start_us - START_WINDOW_US
    closes = wave_start_us + spec.cutoff_us if spec.cutoff_us is not None else None
    earliest_finish = wave_start_us + spec.min_time_us

    finish: int | None = None
    active = False
    for passing in passings:
        time_us = passing.time_us
        if time_us < window_open or (closes is not None and time_us > closes):
            continue
        active = True
        if (
            time_us >= earliest_finish
            and passing.point in spec.finish_points
            and (finish is None or time_us < finish)
        ):
            finish = time_us

    start = _latest_start(spec, passings, window_open, finish, closes)
    chip_start = start if start is not None else wave_start_us
    # After the finish (or the cutoff) a split read is a cool-down walk, not racing.
    split_limit = finish if finish is not None else closes
    splits = _splits(spec, passings, chip_start, split_limit)

    status = manual_status(entrant)
    if status is None:
        status = Status.FIN if finish is not None else Status.DNF if active else Status.DNS

    gun_time = chip_time = ranking_time = None
    if finish is not None:
        gun_time = finish - wave_start_us
        # One int for both when no start mat saw the runner: 32 bytes less per finisher.
        chip_time = gun_time if chip_start == wave_start_us else finish - chip_start
        if status is Status.FIN:
            ranking_time = gun_time if spec.timing == "gun" else chip_time
    return EntrantResult(
        entrant=entrant,
        status=status,
        category=category,
        finish_us=finish,
        chip_start_us=chip_start,
        gun_time_us=gun_time,
        chip_time_us=chip_time,
        ranking_time_us=ranking_time,
        splits_us=splits,
        segments_us=segment_times(spec, passings, chip_start, finish, closes),
    )


def _latest_start(
    spec: RaceSpec,
    passings: Sequence[PassingInfo],
    window_open: int,
    finish: int | None,
    closes: int | None,
) -> int | None:
    """The latest start-mat read in [W - 5 min, finish), or up to the cutoff with no finish."""
    latest: int | None = None
    for passing in passings:
        time_us = passing.time_us
        if time_us < window_open or passing.point not in spec.start_points:
            continue
        if finish is not None:
            # A start read at or after the finish is someone walking back across the mats.
            if time_us >= finish:
                continue
        elif closes is not None and time_us > closes:
            continue
        if latest is None or time_us > latest:
            latest = time_us
    return latest


def _splits(
    spec: RaceSpec,
    passings: Sequence[PassingInfo],
    chip_start: int,
    limit: int | None,
) -> dict[str, int | None]:
    """Time from chip start to the first read at each split point in [chip start, limit]."""
    wanted = spec.split_points
    first: dict[str, int] = {}
    for passing in passings:
        time_us = passing.time_us
        if time_us < chip_start or (limit is not None and time_us > limit):
            continue
        point = passing.point
        # A race has a handful of splits: a tuple scan beats building a set per entrant.
        if point in wanted and (point not in first or time_us < first[point]):
            first[point] = time_us
    splits: dict[str, int | None] = dict.fromkeys(wanted)
    for code, time_us in first.items():
        splits[code] = time_us - chip_start
    return splits
