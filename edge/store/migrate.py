"""Alembic migrations of the edge database, driven from code (no alembic.ini).

Every service of a box calls ``upgrade`` when it starts, and almost always the
database is already at the newest revision. That check reads the revision ids
from the migration files and the ``alembic_version`` row with plain sqlite3, so
Alembic (and the Mako and Pygments it pulls in, ~12 MB resident) is imported only
when there is something to migrate, not into every long-running process; nor is
SQLAlchemy, which the reader service does without.
"""

from __future__ import annotations

import ast
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from edge.store.held import reserve_notice
from edge.store.sqlite import (
    BUSY_TIMEOUT_MS,
    install_sqlite_rules,
    out_of_space,
    private_database,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS = str(Path(__file__).with_name("migrations"))
VERSIONS = Path(MIGRATIONS) / "versions"


def sync_engine(path: Path) -> Engine:
    """Return a blocking engine on ``path`` that follows the SQLite rules."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    install_sqlite_rules(engine)
    return engine


def alembic_config(path: Path) -> Config:
    """Return an Alembic configuration pointing at the edge migrations and ``path``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["database_path"] = path
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with this version."""
    heads = _declared_heads()
    if len(heads) == 1:
        return heads[0]
    from alembic.script import ScriptDirectory  # a branched history: Alembic says what is wrong

    head = ScriptDirectory.from_config(alembic_config(Path())).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def _declared_heads() -> list[str]:
    """The revisions no migration file names as its ``down_revision``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in VERSIONS.glob("*.py"):
        names = _module_strings(file)
        revision = names.get("revision")
        if isinstance(revision, str):
            revisions.add(revision)
        down = names.get("down_revision")
        parents.update([down] if isinstance(down, str) else down or ())
    return sorted(revisions - parents)


def _module_strings(file: Path) -> dict[str, str | tuple[str, ...] | None]:
    """The module-level ``name = "literal"`` assignments of a migration file."""
    found: dict[str, str | tuple[str, ...] | None] = {}
    for node in ast.parse(file.read_text(encoding="utf-8")).body:
        target: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and value is not None:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return found


def current_revision(path: Path) -> str | None:
    """Return the revision a database file is at (None for a new or empty file)."""
    if not path.exists():
        return None
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None
        raise
    finally:
        connection.close()
    if len(rows) > 1:
        raise RuntimeError(f"{path}: several schema heads {sorted(r[0] for r in rows)}")
    return str(rows[0][0]) if rows else None


def upgrade(path: Path) -> tuple[str | None, str]:
    """Create or migrate the database at ``path`` to the newest schema; return (from, to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        # The revision is read with plain sqlite3, which installs none of the SQLite rules:
        # files an older release left readable by others are made private here.
        private_database(path)
    before = current_revision(path)
    head = head_revision()
    if before != head:
        from alembic import command

        command.upgrade(alembic_config(path), "head")
    reserve_notice(path)  # the reader's "disk full" notice needs its room made beforehand
    return before, head


def upgrade_unless_full(path: Path) -> bool:
    """``upgrade`` for the box's services (serve, worker, reader): on a full disk SQLite
    cannot even read (it must make its -shm file), so say so and start all the same; the
    schema is checked at their next start. False if it was not checked."""
    try:
        upgrade(path)
    except Exception as err:
        if not out_of_space(err, path):
            raise
        log.error("the disk is full (%s): %s is not checked or migrated now", err, path)
        return False
    return True
