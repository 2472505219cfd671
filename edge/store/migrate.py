"""Alembic migrations of the edge database, driven from code (no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine

from edge.store.sqlite import install_sqlite_rules

MIGRATIONS = str(Path(__file__).with_name("migrations"))


def sync_engine(path: Path) -> Engine:
    """Return a blocking engine on ``path`` that follows the SQLite rules."""
    engine = create_engine(f"sqlite:///{path}")
    install_sqlite_rules(engine)
    return engine


def alembic_config(path: Path) -> Config:
    """Return an Alembic configuration pointing at the edge migrations and ``path``."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["database_path"] = path
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with this version."""
    head = ScriptDirectory.from_config(alembic_config(Path())).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def current_revision(path: Path) -> str | None:
    """Return the revision a database file is at (None for a new or empty file)."""
    if not path.exists():
        return None
    engine = sync_engine(path)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(path: Path) -> tuple[str | None, str]:
    """Create or migrate the database at ``path`` to the newest schema; return (from, to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    before = current_revision(path)
    head = head_revision()
    if before != head:
        command.upgrade(alembic_config(path), "head")
    return before, head
