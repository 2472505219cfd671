"""Segments of a course (swim, T1, bike...): each one's time from its passings.

A segment runs from its ``from`` point to its ``to`` point. Walking the segments in
order, a point's passing is its first one at or after the end of the segment before
(a start point is the chip start, a finish point the finish). A mat that missed a
runner leaves the two segments it bounds empty; the total is the finish's, untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from edge.timing.model import NO_TIMES, EntrantResult, PassingInfo, RaceSpec
from edge.timing.ranking import competition_ranks
from edge.timing.windows import first_passing


def segment_times(
    spec: RaceSpec,
    passings: Sequence[PassingInfo],
    chip_start_us: int,
    finish_us: int | None,
    limit_us: int | None,
) -> Mapping[str, int | None]:
    """Each segment's time in µs, None where a passing that bounds it is missing."""
    if not spec.segments:
        return NO_TIMES
    # Start and finish are the entrant's own (chip start, finish), not any read there.
    at: dict[str, int | None] = dict.fromkeys(spec.finish_points, finish_us)
    at.update(dict.fromkeys(spec.start_points, chip_start_us))
    cursor = chip_start_us
    limit = finish_us if finish_us is not None else limit_us
    times: dict[str, int | None] = {}
    for segment in spec.segments:
        begin = _passing_at(segment.start_point, passings, cursor, limit, at)
        if begin is not None:
            cursor = max(cursor, begin)
        end = _passing_at(segment.end_point, passings, cursor, limit, at)
        if end is not None:
            cursor = max(cursor, end)
        times[segment.code] = end - begin if begin is not None and end is not None else None
    return times


def _passing_at(
    point: str,
    passings: Sequence[PassingInfo],
    cursor: int,
    limit: int | None,
    found: dict[str, int | None],
) -> int | None:
    """The instant a point was passed, the first time at or after ``cursor`` (remembered)."""
    if point in found:
        return found[point]
    instant = first_passing(passings, point, cursor, limit)
    found[point] = instant
    return instant


def rank_segments(spec: RaceSpec, results: Iterable[EntrantResult]) -> None:
    """Give each result its segment ranks: competition ranks among everyone with that time.

    Each result gets a new mapping (a result's own may be the shared ``NO_TIMES``).
    """
    if not spec.segments:
        return
    listed = list(results)
    codes = [segment.code for segment in spec.segments]
    ranks: list[dict[str, int | None]] = [dict.fromkeys(codes) for _ in listed]
    for segment in spec.segments:
        timed = [n for n, r in enumerate(listed) if r.segments_us.get(segment.code) is not None]
        found = competition_ranks([listed[n].segments_us[segment.code] or 0 for n in timed])
        for n, rank in zip(timed, found, strict=True):
            ranks[n][segment.code] = rank
    for result, own in zip(listed, ranks, strict=True):
        result.segment_ranks = own
