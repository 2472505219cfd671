"""Alembic environment of the central database (async engine, one transaction per migration)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from central.store.database import create_engine_for
from central.store.models import metadata

_url = context.config.attributes.get("database_url")
if not isinstance(_url, str):
    raise RuntimeError("central migrations run through central.store.migrate, not the alembic CLI")
URL: str = _url


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    engine = create_engine_for(URL)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_run())
