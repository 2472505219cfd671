"""The SQLite rules every connection follows (docs/architecture.md, "Storage").

WAL, busy_timeout, foreign keys, synchronous=FULL and a small page cache on connect;
every transaction is opened by us with ``BEGIN IMMEDIATE`` (writers) or ``BEGIN`` (engines marked
read-only), because pysqlite's own implicit BEGIN is deferred and a deferred
transaction that reads then writes can fail with SQLITE_BUSY mid-way.

A database file holds entrants' names and birth dates (and on central, admins'
password hashes): it is the owner's alone (0600), from its creation, and so are
the -wal and -shm files SQLite creates beside it with the database's own mode.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

PRIVATE_DATABASE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 512
"""Each connection's page cache (SQLite's default is 2,000 KiB). A box runs three
processes holding a few connections each; the operating system's page cache already
keeps the database's hot pages for all of them, and a WAL write by another process
empties a connection's cache anyway. Measured on a 20,000-entrant race: results and
read queries as fast, ~3-6 MB less resident per process."""
CONNECTION_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    # No memory-mapped reads: mapped pages count in each process's resident memory,
    # where the page cache serves the same reads shared by every process.
    "PRAGMA mmap_size = 0",
)
"""What every connection runs when it opens (engines and raw connections alike)."""
BEGIN_OPTION = "chrono_begin"
"""Execution option naming the BEGIN mode: "IMMEDIATE" (default) or "DEFERRED"."""


def private_database(path: Path) -> None:
    """Create the database file ``path`` owner-only if it is new; make it (and its -wal,
    -shm) owner-only if an older release left them readable by others."""
    if str(path) in ("", ":memory:"):
        return
    # Never open an existing database file here: closing any descriptor of a file drops
    # every POSIX lock this process holds on it, the locks of its other SQLite
    # connections included. Only a file that does not exist yet is created (O_EXCL).
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_DATABASE_MODE))
        except FileExistsError:
            pass  # another connection made it just now
        except PermissionError:
            return  # SQLite will say what is wrong, in its own words
    for file in (path, *(path.with_name(path.name + s) for s in SQLITE_COMPANIONS)):
        try:
            if file.stat().st_mode & 0o777 != PRIVATE_DATABASE_MODE:
                file.chmod(PRIVATE_DATABASE_MODE)
        except (FileNotFoundError, PermissionError):
            continue  # absent, or another user's file (theirs to keep)


NO_SPACE_BYTES = 1024 * 1024
"""Below this much free space, a disk I/O error of SQLite is taken for a full disk."""
_NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_PG_DISK_FULL = "53100"  # PostgreSQL's disk_full (asyncpg's DiskFullError)


def out_of_space(error: BaseException, where: Path | None = None) -> bool:
    """Whether ``error`` (or what caused it) says the disk is full.

    SQLite says SQLITE_FULL when a write finds no room, and SQLITE_IOERR_SHMSIZE when it
    cannot make its -shm file (even to read); another disk I/O error counts as a full
    disk when ``where`` (a file or folder on that disk) has almost no room left.
    SQLAlchemy's errors are looked through (their ``orig``), and so are chained ones.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            extended = getattr(current, "sqlite_errorcode", 0)
            code = extended & 0xFF
            if code == sqlite3.SQLITE_FULL or extended == sqlite3.SQLITE_IOERR_SHMSIZE:
                return True
            if code == sqlite3.SQLITE_IOERR and where is not None and _no_room(where):
                return True
        if isinstance(current, OSError) and current.errno in _NO_SPACE_ERRNOS:
            return True
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL:  # central on PostgreSQL
            return True
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None]
        pending += [current.__cause__, current.__context__]
    return False


def _no_room(where: Path) -> bool:
    folder = where if where.is_dir() else where.parent
    try:
        return shutil.disk_usage(folder).free < NO_SPACE_BYTES
    except OSError:
        return False


def install_sqlite_rules(engine: Engine) -> None:
    """Make every connection of ``engine`` follow the project's SQLite rules."""
    # Imported here: raw connections (edge.store.reads) take the rules above without it.
    from sqlalchemy import event

    database = engine.url.database

    @event.listens_for(engine, "do_connect")
    def _before_connect(*_args: Any) -> None:
        # Before SQLite opens (and maybe creates) the file: created 0600, never 0644.
        if database and not database.startswith("file:"):
            private_database(Path(database))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: transactions are begun explicitly below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in CONNECTION_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")
