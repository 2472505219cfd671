"""Shared fixtures: real SQLite files in tmp_path, the fixture folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.store import migrate
from edge.store.database import Database

FIXTURES = Path(__file__).parent / "fixtures"
# Costly session fixtures (a base rootfs, bundles, installed releases): under pytest-xdist
# the tests that use one share a worker (a group), so each is built once per run.
SESSION_GROUPS = {"rootfs_base": "rootfs", "host_bundle": "rootfs", "ota_bundles": "ota"}


@pytest.hookimpl(tryfirst=True)  # before xdist's loadgroup reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test that uses a costly session fixture with that fixture's xdist group."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for group in sorted({SESSION_GROUPS[name] for name in used & SESSION_GROUPS.keys()}):
            item.add_marker(pytest.mark.xdist_group(group))


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
