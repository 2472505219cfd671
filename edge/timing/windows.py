"""The first passing at a point within a window of time (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from edge.timing.model import PassingInfo


def first_passing(
    passings: Iterable[PassingInfo], point: str | None, earliest: int, latest: int | None
) -> int | None:
    """The earliest instant of a passing at ``point`` in [earliest, latest] (None: unbounded)."""
    found: int | None = None
    for passing in passings:
        time_us = passing.time_us
        if passing.point != point or time_us < earliest:
            continue
        if latest is not None and time_us > latest:
            continue
        if found is None or time_us < found:
            found = time_us
    return found
