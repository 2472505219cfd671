"""The reader service's health row (table ``reader_health``), upserted with plain sqlite3.

The row's fields are the ``ReaderHealth`` table's (``edge.domain.health``); the reader
service writes it every few seconds without loading SQLAlchemy (issue 20, memory).
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields

from edge.store import reads as raw


@dataclass(frozen=True)
class HealthRow:
    """The state of one reader connection, as its service last saw it."""

    reader: str  # "host:port"
    event_slug: str
    point_code: str
    connected: bool
    connected_since_us: int | None
    last_read_us: int | None
    last_message_us: int | None  # any frame, keepalives included
    reads_total: int
    reads_per_s: str  # JSON: antenna -> reads per second over the last interval
    clock_offset_us: int | None  # box time minus reader time, measured at connect
    reconnects: int
    last_error: str
    pid: int
    updated_us: int
    clock_drift_us: int | None = None  # how far reader minus box time moved since connect


_COLUMNS = [field.name for field in fields(HealthRow)]
_UPSERT = (
    f"INSERT INTO reader_health ({', '.join(_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_COLUMNS))})"
    " ON CONFLICT (reader) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:])
)


def write_health(connection: sqlite3.Connection, row: HealthRow) -> None:
    """Insert the reader's row, or replace every field of it, in one write transaction."""
    with raw.write_transaction(connection):
        connection.execute(_UPSERT, astuple(row))
