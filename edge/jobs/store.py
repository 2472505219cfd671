"""The engine under the queue: the box's SQLite file, or a PostgreSQL URL (central)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from edge.jobs.models import Job, JobLog, JobQueueState, WorkerBeat
from edge.store.database import async_url, create_engine_for

TABLES = [Job.__table__, JobLog.__table__, JobQueueState.__table__, WorkerBeat.__table__]  # type: ignore[attr-defined]


def engine_for(target: Path | str) -> AsyncEngine:
    """An async engine on a SQLite file (the project's rules) or a database URL."""
    return create_engine_for(async_url(target) if isinstance(target, Path) else target)


async def create_tables(engine: AsyncEngine) -> None:
    """Create the queue's tables where no migration does it (central, tests on PostgreSQL)."""
    from sqlmodel import SQLModel

    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=TABLES)
