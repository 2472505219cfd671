"""Fast copies of a result keep every field: ``with_status`` is ``dataclasses.replace``."""

from __future__ import annotations

import dataclasses
import datetime as dt

from edge.timing.model import EntrantInfo, EntrantResult, Status


def test_with_status_copies_every_field_but_the_status() -> None:
    # A distinct value in every field: a field added to EntrantResult and forgotten by
    # with_status (or two swapped) makes the copies differ.
    values = {f.name: n for n, f in enumerate(dataclasses.fields(EntrantResult), start=1)}
    values.update(
        entrant=EntrantInfo("7", birth_date=dt.date(1990, 1, 2)),
        status=Status.DNF,
        category="SE-F",
        splits_us={"KM5": 11},
        lap_times_us=[12, 13],
        segments_us={"swim": 14},
        segment_ranks={"swim": 15},
    )
    result = EntrantResult(**values)  # type: ignore[arg-type]
    copied = result.with_status(Status.ONC)
    assert copied == dataclasses.replace(result, status=Status.ONC)
    assert copied is not result
    assert result.status is Status.DNF
