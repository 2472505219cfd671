"""Migrations create exactly the models' schema, and the SQLite rules hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

# Imported to register the tables: the box's and the job queue's.
import edge.domain
import edge.jobs.models  # noqa: F401
from edge.store import migrate
from edge.store import reads as raw
from edge.store.database import Database

PRAGMAS = ("journal_mode", "busy_timeout", "foreign_keys", "synchronous", "cache_size", "mmap_size")
RULES = {
    "journal_mode": "wal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
    "synchronous": 2,  # FULL
    "cache_size": -512,  # KiB
    "mmap_size": 0,
}


def test_migrated_schema_equals_models(tmp_path: Path) -> None:
    path = tmp_path / "edge.db"
    before, after = migrate.upgrade(path)
    assert before is None
    assert after == migrate.head_revision()
    engine = migrate.sync_engine(path)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "edge.db"
    migrate.upgrade(path)
    assert migrate.upgrade(path) == (migrate.head_revision(), migrate.head_revision())


def test_every_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "edge.db"
    migrate.upgrade(path)
    command.downgrade(migrate.alembic_config(path), "base")
    tables = {
        r[0]
        for r in sqlite3.connect(path).execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
        )
    }
    assert tables <= {"alembic_version"}
    migrate.upgrade(path)
    assert migrate.current_revision(path) == migrate.head_revision()


def test_race_formats_downgrade_on_a_database_holding_races_keeps_them(tmp_path: Path) -> None:
    from alembic import command

    from tests.integration.test_cli_flow import ENTRANTS, EVENT, SLUG, chrono

    path = tmp_path / "edge.db"
    chrono(path, "db", "upgrade")
    chrono(path, "event", "load", str(EVENT))
    chrono(path, "entrants", "import", str(ENTRANTS), "--event", SLUG)
    command.downgrade(migrate.alembic_config(path), "0007")
    with sqlite3.connect(path) as connection:
        race_columns = {r[1] for r in connection.execute("pragma table_info(race)")}
        assert not race_columns & {"format", "format_rules"}
        assert connection.execute("select count(*) from entrant").fetchone()[0] == 6
        connection.execute("update entrant set club = 'x' where bib = '1'")  # trigger still works
    migrate.upgrade(path)
    assert migrate.current_revision(path) == migrate.head_revision()


async def test_connections_follow_the_sqlite_rules(db_path: Path) -> None:
    db = Database(db_path)
    try:
        async with db.read() as session:
            connection = await session.connection()
            pragmas = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                for name in PRAGMAS
            }
        assert pragmas == RULES
    finally:
        await db.close()


def test_raw_connections_follow_the_sqlite_rules(db_path: Path) -> None:
    connection = raw.connect(db_path)
    try:
        pragmas = {name: connection.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS}
        assert pragmas == RULES
    finally:
        connection.close()


async def test_write_sessions_hold_the_write_lock_from_begin(db_path: Path) -> None:
    """A write session takes the RESERVED lock at BEGIN (IMMEDIATE), not at its first write."""
    db = Database(db_path)
    try:
        async with db.write() as session:
            await (await session.connection()).execute(text("SELECT 1"))
            other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        await db.close()


def test_the_newest_revision_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config(Path()))
    assert migrate.head_revision() == scripts.get_current_head()


def test_backup_line_downgrade_keeps_backup_passings_and_their_triggers(tmp_path: Path) -> None:
    from alembic import command

    from tests.integration.test_cli_flow import ENTRANTS, EVENT, SLUG, chrono

    path = tmp_path / "edge.db"
    backup = tmp_path / "backup.csv"
    backup.write_text("dossard;heure\n1;10:10:05,6\n2;10:12:03,2\n", encoding="utf-8")
    chrono(path, "db", "upgrade")
    chrono(path, "event", "load", str(EVENT))
    chrono(path, "entrants", "import", str(ENTRANTS), "--event", SLUG)
    chrono(path, "passings", "import", str(backup), "--event", SLUG, "--point", "FINISH")
    command.downgrade(migrate.alembic_config(path), "0008")
    with sqlite3.connect(path) as connection:
        columns = {r[1] for r in connection.execute("pragma table_info(passing)")}
        assert "pair_id" not in columns
        assert connection.execute("select count(*) from passing").fetchone()[0] == 2
        connection.execute("update passing set source = 'x'")  # the 0008 triggers work again
        payload = connection.execute("select payload from outbox order by seq desc").fetchone()
        assert "pair_id" not in payload[0]
        assert '"source":"x"' in payload[0]
    migrate.upgrade(path)
    assert migrate.current_revision(path) == migrate.head_revision()
    with sqlite3.connect(path) as connection:
        connection.execute("update passing set source = 'y'")
        payload = connection.execute("select payload from outbox order by seq desc").fetchone()
        assert '"pair_id":null' in payload[0]
