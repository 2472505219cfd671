"""The hot path for raw reads: plain sqlite3, many reads per transaction and fsync.

The ORM costs ~150 µs a row through aiosqlite; ``executemany`` of a prepared
INSERT costs ~3 µs. One BEGIN IMMEDIATE ... COMMIT per batch is the group
commit (docs/architecture.md): with synchronous=FULL it is one fsync for the whole batch,
and once ``record_reads`` returns every read of the batch is on disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edge.clock import now_us
from edge.ids import new_id
from edge.store.sqlite import BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, private_database

_INSERT = (
    "INSERT OR IGNORE INTO tag_read (id, event_id, point_id, device_id, epc, antenna, rssi_dbm,"
    " reader_time_us, corrected_time_us, created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class ReadIn:
    """A raw read to store (EPC as uppercase hex)."""

    epc: str
    antenna: int
    rssi_dbm: float
    reader_time_us: int
    corrected_time_us: int


class DatabaseFile(Protocol):
    """A database that plain sqlite3 code opens by its file (``Database`` is one)."""

    @property
    def path(self) -> Path:
        """The SQLite file."""
        ...


@dataclass(frozen=True)
class SqliteFile:
    """A box's database file, for code that opens it with plain sqlite3 (the reader)."""

    path: Path


def connect(path: Path) -> sqlite3.Connection:
    """Open a raw connection with the project's SQLite rules (transactions begun by hand)."""
    private_database(path)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` on a raw connection; committed if the block succeeds, else rolled
    back."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


@contextmanager
def read_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A deferred transaction on a raw connection, for reads that must agree; never writes."""
    connection.execute("BEGIN")
    try:
        yield connection
    finally:
        connection.execute("ROLLBACK")


def record_reads(
    connection: sqlite3.Connection,
    event_id: str,
    point_id: str,
    reads: Iterable[ReadIn],
    *,
    device_id: str = "",
) -> int:
    """Commit a batch of reads in one transaction; return how many were new (not duplicates)."""
    created = now_us()
    rows: Sequence[tuple[object, ...]] = [
        (
            new_id(),
            event_id,
            point_id,
            device_id,
            r.epc,
            r.antenna,
            r.rssi_dbm,
            r.reader_time_us,
            r.corrected_time_us,
            created,
        )
        for r in reads
    ]
    with write_transaction(connection):
        # rowcount counts the rows this statement inserted, not the outbox rows its trigger adds.
        added = connection.executemany(_INSERT, rows).rowcount
    return added
