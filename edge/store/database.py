"""The async database handle used by services: write and read sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.store.sqlite import BEGIN_OPTION, install_sqlite_rules


def async_url(path: Path) -> str:
    """Return the SQLAlchemy aiosqlite URL of a database file."""
    return f"sqlite+aiosqlite:///{path}"


class Database:
    """One SQLite file: ``write()`` sessions run in BEGIN IMMEDIATE, ``read()`` in BEGIN."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine: AsyncEngine = create_async_engine(async_url(path))
        install_sqlite_rules(self.engine.sync_engine)
        self._read_engine = self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """Yield a session in a write transaction, committed on success, rolled back on error."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Yield a session for reading only (a deferred transaction, never written in)."""
        session = AsyncSession(self._read_engine, expire_on_commit=False)
        async with session, session.begin():
            yield session
            # Detach what was read (a rollback would expire it), then end the
            # transaction without committing: a read session never writes.
            session.expunge_all()
            await session.rollback()

    async def close(self) -> None:
        """Dispose of the connection pool."""
        await self.engine.dispose()
