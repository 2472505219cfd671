"""race formats (laps, timed, relay, segments) and the relay leg of an entrant

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 00:00:00

New columns only, each with a default: a release before this one still reads and
writes these tables. The entrant triggers are rewritten so the outbox carries ``leg``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"


def _payload(row: str, leg: bool) -> str:
    # As in 0005 (codes, not ids), with the relay leg once the column exists.
    extra = f", 'leg', {row}.leg" if leg else ""
    return f"""json_object(
    'id', {row}.id,
    'event', (SELECT slug FROM event WHERE id = {row}.event_id),
    'race', (SELECT code FROM race WHERE id = {row}.race_id),
    'wave', (SELECT code FROM wave WHERE id = {row}.wave_id),
    'bib', {row}.bib, 'last_name', {row}.last_name, 'first_name', {row}.first_name,
    'sex', {row}.sex, 'birth_date', {row}.birth_date, 'birth_year', {row}.birth_year,
    'club', {row}.club, 'team', {row}.team, 'tag1', {row}.tag1, 'tag2', {row}.tag2,
    'category_override', {row}.category_override, 'manual_status', {row}.manual_status{extra})"""


def _upsert_triggers(leg: bool) -> dict[str, str]:
    triggers = {}
    for name, when in (("outbox_entrant_insert", "INSERT"), ("outbox_entrant_update", "UPDATE")):
        triggers[name] = f"""CREATE TRIGGER {name} AFTER {when} ON entrant BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('entrant', 'upsert', NEW.id, {_payload("NEW", leg)}, {NOW_US});
END"""
    return triggers


def _replace_triggers(leg: bool) -> None:
    for name, sql in _upsert_triggers(leg).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(sql)


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("race", sa.Column("format", sa.String(), nullable=False, server_default="point"))
    op.add_column(
        "race", sa.Column("format_rules", sa.String(), nullable=False, server_default="{}")
    )
    op.add_column("entrant", sa.Column("leg", sa.String(), nullable=True))
    _replace_triggers(leg=True)


def downgrade() -> None:
    """Revert this migration.

    SQLite drops a column in place (3.35+): a batch copy of ``race`` would drop the
    table under its entrants' foreign keys and fail on any database that holds races.
    """
    _replace_triggers(leg=False)
    op.execute("ALTER TABLE entrant DROP COLUMN leg")
    op.execute("ALTER TABLE race DROP COLUMN format_rules")
    op.execute("ALTER TABLE race DROP COLUMN format")
