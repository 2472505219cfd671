"""Edge storage: SQLite engine with the project's rules, migrations, sessions."""
