"""The central database: one async engine on SQLite (embedded) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.store.sqlite import BEGIN_OPTION, install_sqlite_rules


def create_engine_for(url: str) -> AsyncEngine:
    """An async engine; on SQLite it follows the box's rules (WAL, BEGIN IMMEDIATE for writes)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        install_sqlite_rules(engine.sync_engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


class CentralDatabase:
    """Sessions on the central database: ``write()`` commits on success, ``read()`` never writes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine_for(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read_engine = (
            self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            if self.is_sqlite
            else self.engine
        )

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed on success, rolled back on error."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only."""
        session = AsyncSession(self._read_engine, expire_on_commit=False)
        async with session, session.begin():
            yield session
            session.expunge_all()
            await session.rollback()

    async def close(self) -> None:
        """Dispose of the connection pool."""
        await self.engine.dispose()
