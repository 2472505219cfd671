"""corrections: the operator's changes as their own rows, replicated through the outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"


def _payload(row: str) -> str:
    # Codes, not ids, for the event and points: a restored box has its own ids for them.
    return f"""json_object(
    'id', {row}.id, 'event', (SELECT slug FROM event WHERE id = {row}.event_id),
    'kind', {row}.kind, 'passing_id', {row}.passing_id,
    'target_point', (SELECT code FROM timing_point WHERE id = {row}.target_point_id),
    'target_epc', {row}.target_epc, 'target_time_us', {row}.target_time_us,
    'point', (SELECT code FROM timing_point WHERE id = {row}.point_id),
    'time_us', {row}.time_us, 'bib', {row}.bib, 'status', {row}.status,
    'reason', {row}.reason, 'created_by', {row}.created_by, 'created_us', {row}.created_us,
    'undone_by', {row}.undone_by, 'undone_us', {row}.undone_us)"""


def _trigger(name: str, when: str, op_name: str, row: str, payload: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {when} ON correction BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('correction', '{op_name}', {row}.id, {payload}, {NOW_US});
END"""


DELETED = """json_object('id', OLD.id, 'event', (SELECT slug FROM event WHERE id = OLD.event_id))"""

# Corrections are never deleted by the application (an undo is an update), but a
# deleted event cascades to them: central must hear of it like any other change.
TRIGGERS = {
    "outbox_correction_insert": _trigger("outbox_correction_insert", "INSERT", "upsert", "NEW",
                                         _payload("NEW")),
    "outbox_correction_update": _trigger("outbox_correction_update", "UPDATE", "upsert", "NEW",
                                         _payload("NEW")),
    "outbox_correction_delete": _trigger("outbox_correction_delete", "DELETE", "delete", "OLD",
                                         DELETED),
}  # fmt: skip


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "correction",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("passing_id", AutoString(), nullable=True),
        sa.Column("target_point_id", AutoString(), nullable=True),
        sa.Column("target_epc", AutoString(), nullable=True),
        sa.Column("target_time_us", sa.Integer(), nullable=True),
        sa.Column("point_id", AutoString(), nullable=True),
        sa.Column("time_us", sa.Integer(), nullable=True),
        sa.Column("bib", AutoString(), nullable=True),
        sa.Column("status", AutoString(), nullable=True),
        sa.Column("reason", AutoString(), nullable=False),
        sa.Column("created_by", AutoString(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.Column("undone_by", AutoString(), nullable=True),
        sa.Column("undone_us", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_id"], ["timing_point.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["target_point_id"], ["timing_point.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_correction_event_created", ["event_id", "created_us"], unique=False
        )
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    """Revert this migration."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.drop_index("ix_correction_event_created")
    op.drop_table("correction")
