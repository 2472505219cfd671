"""The engine under the queue: the box's SQLite file, or a PostgreSQL URL (central)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from edge.jobs.models import Job, JobLog, JobQueueState, WorkerBeat
from edge.store.sqlite import install_sqlite_rules

TABLES = [Job.__table__, JobLog.__table__, JobQueueState.__table__, WorkerBeat.__table__]  # type: ignore[attr-defined]


def engine_for(target: Path | str) -> AsyncEngine:
    """An async engine on a SQLite file (the project's rules) or a database URL."""
    if isinstance(target, Path):
        engine = create_async_engine(f"sqlite+aiosqlite:///{target}")
        install_sqlite_rules(engine.sync_engine)
        return engine
    if target.startswith("sqlite"):
        engine = create_async_engine(target)
        install_sqlite_rules(engine.sync_engine)
        return engine
    return create_async_engine(target, pool_pre_ping=True)


async def create_tables(engine: AsyncEngine) -> None:
    """Create the queue's tables where no migration does it (central, tests on PostgreSQL)."""
    from sqlmodel import SQLModel

    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=TABLES)
