"""Shared fixtures: real SQLite files in tmp_path, the fixture folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.store import migrate
from edge.store.database import Database

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    """The folder of test fixtures (CSV files, event files, LLRP frames)."""
    return FIXTURES


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A freshly migrated SQLite database file."""
    path = tmp_path / "edge.db"
    migrate.upgrade(path)
    return path


@pytest.fixture
async def database(db_path: Path) -> AsyncIterator[Database]:
    """An open Database on a freshly migrated file."""
    db = Database(db_path)
    yield db
    await db.close()
