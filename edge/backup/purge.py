"""Removing one event's rows from a box's database, and nothing else.

Used twice: on the archive's copy (every *other* event goes, so the archive holds
one event) and on the box itself once central has confirmed the archive. A purge
is local: the outbox triggers fire on the deletes, and those rows are taken back
in the same transaction (with the sequence they consumed), so central keeps the
event it was sent; nothing already in the outbox is touched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

# Children first (tables added since, which may point at any of these, before all):
# their references to points, races and waves are RESTRICT, which
# SQLite enforces at once even with deferred foreign keys.
_BY_EVENT = ("correction", "passing", "tag_read", "entrant")
_LAST = ("race", "timing_point")  # race cascades to race_point, wave and category
_OWN_TABLES = ("event", "event_archive")  # the event row last; archive rows outlive it


@dataclass(frozen=True)
class PurgedRows:
    """How many rows of each table went."""

    tables: dict[str, int]

    @property
    def total(self) -> int:
        """Every row removed."""
        return sum(self.tables.values())


def purge_event_rows(connection: sqlite3.Connection, event_id: str, slug: str) -> PurgedRows:
    """Delete the event ``event_id`` (``slug``) and every row of it, inside the caller's
    transaction; the outbox rows the deletes' triggers wrote are taken back."""
    before = _outbox_sequence(connection)
    removed: dict[str, int] = {}
    for table in (*_others_with_event_id(connection), *_BY_EVENT, *_LAST):
        cursor = connection.execute(f"DELETE FROM {table} WHERE event_id = ?", [event_id])
        removed[table] = removed.get(table, 0) + cursor.rowcount
    cursor = connection.execute("DELETE FROM reader_health WHERE event_slug = ?", [slug])
    removed["reader_health"] = cursor.rowcount
    removed["event"] = connection.execute("DELETE FROM event WHERE id = ?", [event_id]).rowcount
    # A purge is not a change to replicate: central keeps the event (and its archive).
    connection.execute("DELETE FROM outbox WHERE seq > ?", [before])
    connection.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", [before])
    return PurgedRows({table: count for table, count in removed.items() if count})


def _outbox_sequence(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(row[0]) if row else 0


def _others_with_event_id(connection: sqlite3.Connection) -> list[str]:
    """Tables added since (check-in, sign-off, ...) that hold rows of an event."""
    known = {*_BY_EVENT, *_LAST, *_OWN_TABLES}
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return sorted(
        name
        for name in names
        if name not in known
        and any(col[1] == "event_id" for col in connection.execute(f"PRAGMA table_info({name})"))
    )
