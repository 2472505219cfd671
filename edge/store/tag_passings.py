"""Passings derived from raw reads, recomputed with plain sqlite3.

Crossings are estimated tag by tag (``edge.timing.crossing``), so the passings of some
tags are computed from those tags' reads alone: the reader service settles the tags
that left the field, a rebuild does a whole point. Passings that did not change keep
their row (and id, replicated to central); the outbox triggers record what changed.
Plain sqlite3, in a thread: the reader service runs for hours and never loads
SQLAlchemy (issue 20, memory). ``rebuild_passings`` takes a DB-API cursor, so the
services run the very same code in their session's transaction (``edge.services.reads``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from edge.clock import now_us
from edge.ids import new_id
from edge.store import reads as raw
from edge.store.points import PointRow, find_point
from edge.store.reopen import reopen_official
from edge.timing.crossing import CrossingSettings, RawRead, estimate_crossings

DERIVED = ("quadreg", "strongest", "first")
"""Methods of passings computed from reads (manual and imported ones are never touched)."""
CHUNK = 500
"""Tags (or passing ids) per IN list, well below SQLite's limit on bound parameters."""
_INSERT = (
    "INSERT INTO passing (id, event_id, point_id, bib, epc, time_us, method, source,"
    " read_count, status, created_us) VALUES (?, ?, ?, NULL, ?, ?, ?, 'reads', ?, ?, ?)"
)


class Cursor(Protocol):
    """The DB-API cursor ``rebuild_passings`` needs (sqlite3's, or SQLAlchemy's adapted one)."""

    def execute(self, sql: str, parameters: Sequence[Any], /) -> Any:
        """Run one statement."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any:
        """Run one statement for each row."""
        ...

    def fetchall(self) -> list[Any]:
        """The rows of the last statement."""
        ...

    def close(self) -> None:
        """Let the cursor go."""
        ...


@dataclass
class RebuildReport:
    """What recomputing a point's passings from its reads changed."""

    point: str
    reads: int
    passings: int
    added: int
    removed: int
    changed_epcs: frozenset[str] = frozenset()  # chips whose passings were added or removed


class TagPassings:
    """The derived passings of one box's database file, each call its own transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def rebuild_tags(
        self,
        slug: str,
        point: str,
        epcs: Collection[str],
        *,
        settings: CrossingSettings | None = None,
    ) -> RebuildReport:
        """Recompute the derived passings of some tags at one point (the others are untouched)."""
        return await asyncio.to_thread(self._rebuild_tags, slug, point, epcs, settings)

    async def latest_reads(self, slug: str, point: str, *, stored_since_us: int) -> dict[str, int]:
        """The newest read time of each tag whose reads were stored at the point since then."""
        return await asyncio.to_thread(self._latest_reads, slug, point, stored_since_us)

    def _rebuild_tags(
        self, slug: str, point: str, epcs: Collection[str], settings: CrossingSettings | None
    ) -> RebuildReport:
        connection = raw.connect(self.path)
        try:
            with raw.write_transaction(connection):
                found = find_point(connection, slug, point)
                cursor = connection.cursor()
                report = rebuild_passings(cursor, found, settings or found.crossing, epcs=epcs)
                if report.changed_epcs:
                    # No operator to give a reason here: a signed-off race re-opens itself.
                    reopen_official(cursor, found.event_id, report.changed_epcs, point)
                return report
        finally:
            connection.close()

    def _latest_reads(self, slug: str, point: str, stored_since_us: int) -> dict[str, int]:
        connection = raw.connect(self.path)
        try:
            with raw.read_transaction(connection):
                found = find_point(connection, slug, point)
                rows = connection.execute(
                    "SELECT epc, max(corrected_time_us) FROM tag_read"
                    " WHERE point_id = ? AND created_us >= ? GROUP BY epc",
                    (found.point_id, stored_since_us),
                )
                return {epc: int(time_us) for epc, time_us in rows}
        finally:
            connection.close()


def rebuild_passings(
    cursor: Cursor,
    point: PointRow,
    settings: CrossingSettings,
    *,
    epcs: Collection[str] | None = None,
) -> RebuildReport:
    """Recompute the point's derived passings (of ``epcs`` only, if given), in the caller's
    write transaction."""
    chunks: list[list[str] | None] = [None] if epcs is None else _chunks(sorted(set(epcs)))
    methods = ", ".join("?" * len(DERIVED))
    reads: list[RawRead] = []
    existing: dict[tuple[str | None, int, str, str], str] = {}
    for chunk in chunks:
        read_sql = (
            "SELECT epc, antenna, rssi_dbm, corrected_time_us FROM tag_read WHERE point_id = ?"
        )
        passing_sql = (
            "SELECT id, epc, time_us, method, status FROM passing"
            f" WHERE point_id = ? AND method IN ({methods})"
        )
        read_args: list[object] = [point.point_id]
        passing_args: list[object] = [point.point_id, *DERIVED]
        if chunk is not None:
            tags = ", ".join("?" * len(chunk))
            read_sql += f" AND epc IN ({tags})"
            passing_sql += f" AND epc IN ({tags})"
            read_args += chunk
            passing_args += chunk
        cursor.execute(read_sql, read_args)
        rows = cursor.fetchall()
        reads += [RawRead(epc=e, antenna=a, rssi_dbm=r, time_us=t) for e, a, r, t in rows]
        del rows
        cursor.execute(passing_sql, passing_args)
        stored = cursor.fetchall()
        existing |= {
            (epc, time_us, method, status): id_ for id_, epc, time_us, method, status in stored
        }
    crossings = estimate_crossings(reads, settings)
    wanted = {(c.epc, c.time_us, c.method, c.status): c for c in crossings}
    # Keep passings that did not change, so their ids (replicated to central) stay stable.
    stale = [id_ for key, id_ in existing.items() if key not in wanted]
    for start in range(0, len(stale), CHUNK):
        ids = stale[start : start + CHUNK]
        cursor.execute(f"DELETE FROM passing WHERE id IN ({', '.join('?' * len(ids))})", ids)
    created = now_us()
    new = [
        (
            new_id(),
            point.event_id,
            point.point_id,
            c.epc,
            c.time_us,
            c.method,
            c.read_count,
            c.status,
            created,
        )
        for key, c in wanted.items()
        if key not in existing
    ]
    if new:
        cursor.executemany(_INSERT, new)
    gone = {key[0] for key in existing if key not in wanted and key[0]}
    changed = gone | {c.epc for key, c in wanted.items() if key not in existing}
    return RebuildReport(
        point=point.point_code,
        reads=len(reads),
        passings=len(crossings),
        added=len(new),
        removed=len(stale),
        changed_epcs=frozenset(changed),
    )


def _chunks(epcs: list[str]) -> list[list[str] | None]:
    return [epcs[start : start + CHUNK] for start in range(0, len(epcs), CHUNK)]
