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
from edge.store.sqlite import BUSY_TIMEOUT_MS, CONNECTION_PRAGMAS, out_of_space, private_database

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


def connect_for_reading(path: Path) -> sqlite3.Connection:
    """``connect``; on a disk too full for SQLite to make its -shm file, the database file
    alone, read-only (``immutable``). That happens when no process has the database open:
    the last one to close it copied its WAL into the file, which holds every page then."""
    try:
        return connect(path)
    except sqlite3.Error as err:
        if not out_of_space(err, path):
            raise
    uri = f"{path.resolve().as_uri()}?immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` on a raw connection; committed if the block succeeds, else rolled
    back."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        # SQLite rolls back by itself on some errors (SQLITE_FULL): a ROLLBACK then would
        # fail and hide the error that matters behind "no transaction is active".
        if connection.in_transaction:
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
