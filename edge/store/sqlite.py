"""The SQLite rules every connection follows (docs/architecture.md, "Storage").

WAL, busy_timeout, foreign keys and synchronous=FULL on connect; every transaction
is opened by us with ``BEGIN IMMEDIATE`` (writers) or ``BEGIN`` (engines marked
read-only), because pysqlite's own implicit BEGIN is deferred and a deferred
transaction that reads then writes can fail with SQLITE_BUSY mid-way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

BUSY_TIMEOUT_MS = 5000
BEGIN_OPTION = "chrono_begin"
"""Execution option naming the BEGIN mode: "IMMEDIATE" (default) or "DEFERRED"."""


def install_sqlite_rules(engine: Engine) -> None:
    """Make every connection of ``engine`` follow the project's SQLite rules."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: transactions are begun explicitly below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")
