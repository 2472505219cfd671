"""check-ins: chips seen at the check-in point, apart from the race's reads

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 11:45:00

A new table and its outbox triggers (expand-only: the release before this one runs on
it unchanged): a SLAVE at the check-in table forwards its check-ins to the MASTER, which
holds the entrants, and every box replicates them to central. Chip swaps are
corrections (kind "swap"), whose table and triggers already exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"

# The event by its slug, not its id, as in 0003: the receiving box has its own ids.
PAYLOAD = """json_object(
    'id', NEW.id, 'event', (SELECT slug FROM event WHERE id = NEW.event_id),
    'device_id', NEW.device_id, 'epc', NEW.epc, 'antenna', NEW.antenna,
    'first_us', NEW.first_us, 'last_us', NEW.last_us, 'read_count', NEW.read_count,
    'created_us', NEW.created_us)"""
DELETED = """json_object('id', OLD.id, 'event', (SELECT slug FROM event WHERE id = OLD.event_id))"""


def _trigger(name: str, when: str, op_name: str, row: str, payload: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {when} ON checkin BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('checkin', '{op_name}', {row}.id, {payload}, {NOW_US});
END"""


# Check-ins are never deleted by the application, but a deleted event cascades to them.
TRIGGERS = {
    "outbox_checkin_insert": _trigger("outbox_checkin_insert", "INSERT", "upsert", "NEW", PAYLOAD),
    "outbox_checkin_update": _trigger("outbox_checkin_update", "UPDATE", "upsert", "NEW", PAYLOAD),
    "outbox_checkin_delete": _trigger("outbox_checkin_delete", "DELETE", "delete", "OLD", DELETED),
}


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "checkin",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("epc", AutoString(), nullable=False),
        sa.Column("antenna", sa.Integer(), nullable=False),
        sa.Column("first_us", sa.Integer(), nullable=False),
        sa.Column("last_us", sa.Integer(), nullable=False),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index("ix_checkin_event_epc", ["event_id", "epc"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_event_id"), ["event_id"], unique=False)
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    """Revert this migration."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_event_id"))
        batch_op.drop_index("ix_checkin_event_epc")
    op.drop_table("checkin")
