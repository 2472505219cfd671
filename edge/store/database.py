"""The async database handle used by services: write and read sessions.

One class for a box's SQLite file and for central's database (SQLite or
PostgreSQL): on SQLite it follows the box's rules (WAL, BEGIN IMMEDIATE for
writes, deferred reads), elsewhere the server's own transactions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.store.sqlite import BEGIN_OPTION, install_sqlite_rules

SQL_INT_MAX = 2**63 - 1
"""The largest integer SQLite and PostgreSQL's BIGINT hold: a bigger one from a request is 400."""


def async_url(path: Path) -> str:
    """Return the SQLAlchemy aiosqlite URL of a database file."""
    return f"sqlite+aiosqlite:///{path}"


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


class Database:
    """One database: ``write()`` sessions commit on success, ``read()`` sessions never write.

    Opened on a SQLite file (a box) or a URL (central: SQLite or PostgreSQL).
    """

    def __init__(self, target: Path | str) -> None:
        self.url = async_url(target) if isinstance(target, Path) else target
        self.engine: AsyncEngine = create_engine_for(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._path = target if isinstance(target, Path) else None
        # SQLite reads take no lock until they read (DEFERRED), while writes are
        # IMMEDIATE; a server database has its own isolation and needs neither.
        self._read_engine = (
            self.engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            if self.is_sqlite
            else self.engine
        )

    @property
    def path(self) -> Path:
        """The SQLite file (a box's database always is one)."""
        if self._path is None:
            database = self.engine.url.database
            if not self.is_sqlite or not database or database == ":memory:":
                raise ValueError(f"{self.engine.url!r} is not a database file")
            self._path = Path(database)
        return self._path

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
