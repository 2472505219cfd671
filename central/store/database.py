"""The central database: edge's database wrapper on SQLite (embedded) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from edge.store.database import Database as CentralDatabase
from edge.store.database import create_engine_for

__all__ = ["CentralDatabase", "create_engine_for"]
