"""clock marks: SLAVEs' clock offsets on the MASTER, passings made on an untrusted clock

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 11:40:00

Expand-only: a new table (``slave_clock``) and two nullable columns
(``passing.clock_offset_us``, ``reader_health.clock_drift_us``), so the release before
this one still runs on the new schema. The passing triggers are rewritten so the
outbox carries ``clock_offset_us`` (as 0009 did for ``pair_id``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"


def _payload(marked: bool) -> str:
    # As in 0009 (codes, not ids; the pair), with the clock mark once the column exists.
    extra = ", 'clock_offset_us', NEW.clock_offset_us" if marked else ""
    return f"""json_object(
    'id', NEW.id, 'event', (SELECT slug FROM event WHERE id = NEW.event_id),
    'point', (SELECT code FROM timing_point WHERE id = NEW.point_id),
    'bib', NEW.bib, 'epc', NEW.epc, 'time_us', NEW.time_us, 'method', NEW.method,
    'source', NEW.source, 'read_count', NEW.read_count, 'status', NEW.status,
    'created_us', NEW.created_us, 'pair_id', NEW.pair_id{extra})"""


def _replace_triggers(marked: bool) -> None:
    for name, when in (("outbox_passing_insert", "INSERT"), ("outbox_passing_update", "UPDATE")):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"""CREATE TRIGGER {name} AFTER {when} ON passing BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('passing', 'upsert', NEW.id, {_payload(marked)}, {NOW_US});
END""")


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "slave_clock",
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("point", AutoString(), nullable=False),
        sa.Column("offset_us", sa.Integer(), nullable=False),
        sa.Column("delay_us", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("measured_us", sa.Integer(), nullable=False),
        sa.Column("received_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_id"),
    )
    op.add_column("passing", sa.Column("clock_offset_us", sa.Integer(), nullable=True))
    op.add_column("reader_health", sa.Column("clock_drift_us", sa.Integer(), nullable=True))
    _replace_triggers(marked=True)


def downgrade() -> None:
    """Revert this migration (SQLite drops the columns in place, as in 0009)."""
    _replace_triggers(marked=False)
    op.execute("ALTER TABLE reader_health DROP COLUMN clock_drift_us")
    op.execute("ALTER TABLE passing DROP COLUMN clock_offset_us")
    op.drop_table("slave_clock")
