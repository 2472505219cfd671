"""Central storage: SQLAlchemy models, the engine for SQLite or PostgreSQL, migrations."""
