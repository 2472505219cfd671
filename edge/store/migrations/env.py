"""Alembic environment for the edge SQLite database (one transaction per migration)."""

from __future__ import annotations

from pathlib import Path

from alembic import context
from sqlmodel import SQLModel

# Imported to register on SQLModel.metadata every table of the box's database:
# the box's own (edge.domain) and the job queue's, which live in the same file.
import edge.domain
import edge.jobs.models  # noqa: F401
from edge.store.migrate import sync_engine

path = context.config.attributes.get("database_path")
if not isinstance(path, Path):
    raise RuntimeError("edge migrations run through edge.store.migrate, not the alembic CLI")

engine = sync_engine(path)
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=True,
            transaction_per_migration=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
finally:
    engine.dispose()
