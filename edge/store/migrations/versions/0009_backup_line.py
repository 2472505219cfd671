"""backup line: the passing a backup passing confirms or disagrees with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 04:30:00

One new nullable column: a release before this one still reads and writes passings.
The passing triggers are rewritten so the outbox carries ``pair_id``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"


def _payload(pair: bool) -> str:
    # As in 0003 (codes, not ids), with the pair once the column exists.
    extra = ", 'pair_id', NEW.pair_id" if pair else ""
    return f"""json_object(
    'id', NEW.id, 'event', (SELECT slug FROM event WHERE id = NEW.event_id),
    'point', (SELECT code FROM timing_point WHERE id = NEW.point_id),
    'bib', NEW.bib, 'epc', NEW.epc, 'time_us', NEW.time_us, 'method', NEW.method,
    'source', NEW.source, 'read_count', NEW.read_count, 'status', NEW.status,
    'created_us', NEW.created_us{extra})"""


def _replace_triggers(pair: bool) -> None:
    for name, when in (("outbox_passing_insert", "INSERT"), ("outbox_passing_update", "UPDATE")):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"""CREATE TRIGGER {name} AFTER {when} ON passing BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('passing', 'upsert', NEW.id, {_payload(pair)}, {NOW_US});
END""")


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("passing", sa.Column("pair_id", sa.String(), nullable=True))
    _replace_triggers(pair=True)


def downgrade() -> None:
    """Revert this migration (SQLite drops the column in place, as in 0008)."""
    _replace_triggers(pair=False)
    op.execute("ALTER TABLE passing DROP COLUMN pair_id")
