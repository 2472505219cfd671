"""The sender's side of the outbox: what is pending for a target, acks, failures, lag.

The outbox rows are written by SQLite triggers (migration 0003) in the same
transaction as each change; this module only reads them and keeps, per target
("master", "central"), the last seq the receiver acknowledged in ``sync_ack``.
Nothing here deletes an outbox row: a change leaves the box only by being
acknowledged, never because of its age or size. Calls are blocking (plain
sqlite3, one short connection each): run them in a thread from async code.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from edge.domain.clock import US_PER_SECOND, now_us
from edge.store.reads import connect
from edge.sync.protocol import MAX_CHANGES, BatchIn, ChangeIn

BATCH_CHANGES = 5000
"""Default most changes in one batch: about 175 kB gzipped for raw reads, a few seconds on
a poor 4G link; fewer, bigger batches drain a backlog faster (bench/sync_backlog.py)."""
BATCH_BYTES = 4 * 1024 * 1024
"""Default most payload bytes in one batch (before compression)."""


@dataclass(frozen=True, slots=True)
class Lag:
    """How far a target is behind this box."""

    target: str
    acked_seq: int
    last_seq: int  # the newest change in the outbox (0: none yet)
    pending: int
    oldest_pending_age_s: float  # 0.0 when nothing is pending
    attempts: int  # failed pushes since the last success
    last_error: str


class Outbox:
    """This box's outbox as seen by one target (``sync_ack`` row ``target``)."""

    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target

    def acked_seq(self) -> int:
        """The last seq the target acknowledged (0 before the first ack)."""
        with self._connection() as connection:
            return _acked(connection, self.target)

    def last_seq(self) -> int:
        """The newest seq ever written to the outbox (0 if none)."""
        with self._connection() as connection:
            return _last(connection)

    def pending(
        self,
        device_id: str,
        *,
        after: int | None = None,
        max_changes: int = BATCH_CHANGES,
        max_bytes: int = BATCH_BYTES,
    ) -> BatchIn | None:
        """The next batch after ``after`` (default: the acked seq), or None when drained.

        A batch holds at most ``max_changes`` changes and ``max_bytes`` of
        payload, but always at least one change, however large.
        """
        limit = max(1, min(max_changes, MAX_CHANGES))
        with self._connection() as connection:
            start = _acked(connection, self.target) if after is None else after
            rows = connection.execute(
                "SELECT seq, table_name, op, row_id, payload FROM outbox"
                " WHERE seq > ? ORDER BY seq LIMIT ?",
                (start, limit),
            ).fetchall()
        changes: list[ChangeIn] = []
        size = 0
        for seq, table, op, row_id, payload in rows:
            # AUTOINCREMENT leaves no holes (a rollback also rolls back
            # sqlite_sequence); stopping at one all the same keeps a batch valid.
            if changes and (seq != changes[-1].seq + 1 or size + len(payload) > max_bytes):
                break
            size += len(payload)
            changes.append(
                ChangeIn(seq=seq, table=table, op=op, row_id=row_id, payload=json.loads(payload))
            )
        if not changes:
            return None
        return BatchIn(
            device_id=device_id,
            seq_from=changes[0].seq,
            seq_to=changes[-1].seq,
            changes=changes,
        )

    def record_ack(self, acked_seq: int) -> None:
        """The target holds everything up to ``acked_seq``: move the cursor, clear failures."""
        with self._connection() as connection, _write(connection):
            connection.execute(
                "INSERT INTO sync_ack (target, acked_seq, attempts, last_error, updated_us)"
                " VALUES (?, ?, 0, '', ?) ON CONFLICT (target) DO UPDATE SET"
                " acked_seq = excluded.acked_seq, attempts = 0, last_error = '',"
                " updated_us = excluded.updated_us",
                (self.target, acked_seq, now_us()),
            )

    def record_failure(self, error: str) -> None:
        """A push failed: count it and keep its reason (shown to the operator)."""
        with self._connection() as connection, _write(connection):
            connection.execute(
                "INSERT INTO sync_ack (target, acked_seq, attempts, last_error, updated_us)"
                " VALUES (?, 0, 1, ?, ?) ON CONFLICT (target) DO UPDATE SET"
                " attempts = attempts + 1, last_error = excluded.last_error,"
                " updated_us = excluded.updated_us",
                (self.target, error, now_us()),
            )

    def lag(self) -> Lag:
        """Pending changes for the target and the age of the oldest one."""
        with self._connection() as connection:
            row = connection.execute(
                "SELECT acked_seq, attempts, last_error FROM sync_ack WHERE target = ?",
                (self.target,),
            ).fetchone()
            acked, attempts, last_error = row if row is not None else (0, 0, "")
            count, oldest = connection.execute(
                "SELECT count(*), min(created_us) FROM outbox WHERE seq > ?", (acked,)
            ).fetchone()
            last = _last(connection)
        age = max(0, now_us() - oldest) / US_PER_SECOND if oldest is not None else 0.0
        return Lag(self.target, acked, last, count, age, attempts, last_error)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = connect(self.path)
        try:
            yield connection
        finally:
            connection.close()


def _acked(connection: sqlite3.Connection, target: str) -> int:
    row = connection.execute("SELECT acked_seq FROM sync_ack WHERE target = ?", (target,))
    found = row.fetchone()
    return int(found[0]) if found is not None else 0


def _last(connection: sqlite3.Connection) -> int:
    # sqlite_sequence keeps the highest seq ever given, even once rows are pruned.
    row = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(row[0]) if row is not None else 0


@contextmanager
def _write(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        # A full disk makes SQLite roll back by itself (and a failed COMMIT may leave the
        # transaction open): roll back only what is still open, keep the first error.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
