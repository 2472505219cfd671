"""Conversions between datetimes, durations and integer microseconds (``edge.clock``).

They live outside ``edge.domain``, whose package loads every SQLModel table, so that the
reader service keeps time without importing SQLAlchemy; the data model's code finds
them here as before.
"""

from __future__ import annotations

from edge.clock import US_PER_SECOND as US_PER_SECOND
from edge.clock import format_clock_duration as format_clock_duration
from edge.clock import format_duration as format_duration
from edge.clock import from_us as from_us
from edge.clock import now_us as now_us
from edge.clock import parse_duration as parse_duration
from edge.clock import parse_instant as parse_instant
from edge.clock import to_us as to_us
