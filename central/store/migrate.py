"""Alembic migrations of the central database (SQLite or PostgreSQL), driven from code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = str(Path(__file__).with_name("migrations"))


def alembic_config(url: str) -> Config:
    """An Alembic configuration on the central migrations and database ``url``."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["database_url"] = url
    return config


def upgrade(url: str) -> None:
    """Create or migrate the central database to the newest schema.

    Runs its own event loop: call it from synchronous code or ``asyncio.to_thread``.
    """
    command.upgrade(alembic_config(url), "head")
