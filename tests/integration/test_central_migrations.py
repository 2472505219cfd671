"""Central's migrations create exactly its models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from central.store import migrate
from central.store.database import create_engine_for
from central.store.models import metadata
from edge.domain import TagRead  # noqa: F401  (the edge tables must not leak into central's)
from tests.servers import postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


def _diff_and_types(connection: Connection) -> tuple[list[object], dict[str, str]]:
    diff = compare_metadata(MigrationContext.configure(connection), metadata)
    columns = inspect(connection).get_columns("device")
    return list(diff), {c["name"]: str(c["type"]) for c in columns}


async def _inspect(url: str) -> tuple[list[object], dict[str, str]]:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_diff_and_types)
    finally:
        await engine.dispose()


def test_migrated_schema_equals_models_and_twice_is_a_no_op(database_url: str):
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)
    diff, device = asyncio.run(_inspect(database_url))
    assert diff == []
    # Microsecond timestamps overflow PostgreSQL's 32-bit INTEGER: they must be BIGINT.
    assert device["enrolled_us"] == "BIGINT"
    assert "tag_read" not in metadata.tables
