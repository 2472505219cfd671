"""An event's timing point, found by the event's slug and the point's code (plain sqlite3).

The reader service looks its point up here: it runs for hours on a box and never loads
SQLAlchemy (issue 20, memory). The services find points through their sessions
(``edge.services.passings``) and spell codes with the same ``canonical_point``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from edge.errors import NotFound
from edge.timing.crossing import CrossingSettings


@dataclass(frozen=True)
class PointRow:
    """A timing point of an event, and how its reads become passings."""

    event_id: str
    event_slug: str
    point_id: str
    point_code: str
    crossing: CrossingSettings


def canonical_point(points: Collection[str], code: str) -> str:
    """The stored spelling of a point code typed in any case, or NotFound."""
    for known in points:
        if known.casefold() == code.strip().casefold():
            return known
    raise NotFound(f"no timing point {code!r} (points: {', '.join(points) or 'none'})")


def event_id(connection: sqlite3.Connection, slug: str) -> str:
    """The id of the event with ``slug``, or NotFound."""
    found = connection.execute("SELECT id FROM event WHERE slug = ?", (slug,)).fetchone()
    if found is None:
        raise NotFound(f"no event with slug {slug!r}; load it with `chrono-edge event load`")
    return str(found[0])


def event_points(connection: sqlite3.Connection, slug: str) -> dict[str, PointRow]:
    """The timing points of the event ``slug`` by code (NotFound if there is no such event)."""
    event = event_id(connection, slug)
    rows = connection.execute(
        "SELECT id, code, crossing_method, quiet_gap_us, stray_limit_us, repeat_window_us"
        " FROM timing_point WHERE event_id = ?",
        (event,),
    )
    return {
        code: PointRow(
            event, slug, point_id, code, CrossingSettings(method, quiet_us, stray_us, repeat_us)
        )
        for point_id, code, method, quiet_us, stray_us, repeat_us in rows
    }


def find_point(connection: sqlite3.Connection, slug: str, code: str) -> PointRow:
    """The timing point ``code`` (any case) of the event ``slug``, or NotFound."""
    points = event_points(connection, slug)
    return points[canonical_point(points, code)]
