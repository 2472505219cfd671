"""outbox, sync cursors, reader health, crossing settings per point

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:45:08.733590
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
EVENT_SLUG = "(SELECT slug FROM event WHERE id = {row}.event_id)"
POINT_CODE = "(SELECT code FROM timing_point WHERE id = {row}.point_id)"

READ_PAYLOAD = f"""json_object(
    'id', NEW.id, 'event', {EVENT_SLUG.format(row="NEW")}, 'point', {POINT_CODE.format(row="NEW")},
    'device_id', NEW.device_id, 'epc', NEW.epc, 'antenna', NEW.antenna, 'rssi_dbm', NEW.rssi_dbm,
    'reader_time_us', NEW.reader_time_us, 'corrected_time_us', NEW.corrected_time_us,
    'created_us', NEW.created_us)"""

PASSING_PAYLOAD = f"""json_object(
    'id', NEW.id, 'event', {EVENT_SLUG.format(row="NEW")}, 'point', {POINT_CODE.format(row="NEW")},
    'bib', NEW.bib, 'epc', NEW.epc, 'time_us', NEW.time_us, 'method', NEW.method,
    'source', NEW.source, 'read_count', NEW.read_count, 'status', NEW.status,
    'created_us', NEW.created_us)"""

DELETED_PASSING = f"""json_object(
    'id', OLD.id, 'event', {EVENT_SLUG.format(row="OLD")}, 'point', {POINT_CODE.format(row="OLD")})"""


def _trigger(name: str, when: str, table: str, op_name: str, row: str, payload: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {when} ON {table} BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('{table}', '{op_name}', {row}.id, {payload}, {NOW_US});
END"""


# Every replicated change is appended to the outbox in the change's own transaction.
TRIGGERS = (
    _trigger("outbox_tag_read_insert", "INSERT", "tag_read", "upsert", "NEW", READ_PAYLOAD),
    _trigger("outbox_passing_insert", "INSERT", "passing", "upsert", "NEW", PASSING_PAYLOAD),
    _trigger("outbox_passing_update", "UPDATE", "passing", "upsert", "NEW", PASSING_PAYLOAD),
    _trigger("outbox_passing_delete", "DELETE", "passing", "delete", "OLD", DELETED_PASSING),
)
TRIGGER_NAMES = (
    "outbox_tag_read_insert",
    "outbox_passing_insert",
    "outbox_passing_update",
    "outbox_passing_delete",
)


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", AutoString(), nullable=False),
        sa.Column("op", AutoString(), nullable=False),
        sa.Column("row_id", AutoString(), nullable=False),
        sa.Column("payload", AutoString(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "reader_health",
        sa.Column("reader", AutoString(), nullable=False),
        sa.Column("event_slug", AutoString(), nullable=False),
        sa.Column("point_code", AutoString(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("connected_since_us", sa.Integer(), nullable=True),
        sa.Column("last_read_us", sa.Integer(), nullable=True),
        sa.Column("last_message_us", sa.Integer(), nullable=True),
        sa.Column("reads_total", sa.Integer(), nullable=False),
        sa.Column("reads_per_s", AutoString(), nullable=False),
        sa.Column("clock_offset_us", sa.Integer(), nullable=True),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("last_error", AutoString(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("updated_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reader"),
    )
    op.create_table(
        "sync_ack",
        sa.Column("target", AutoString(), nullable=False),
        sa.Column("acked_seq", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", AutoString(), nullable=False),
        sa.Column("updated_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target"),
    )
    op.create_table(
        "sync_inbox",
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("updated_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_id"),
    )
    with op.batch_alter_table("timing_point", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "crossing_method",
                AutoString(),
                nullable=False,
                server_default="quadreg",
            )
        )
        batch_op.add_column(
            sa.Column("quiet_gap_us", sa.Integer(), nullable=False, server_default="400000")
        )
        batch_op.add_column(
            sa.Column("stray_limit_us", sa.Integer(), nullable=False, server_default="8000000")
        )
        batch_op.add_column(
            sa.Column("repeat_window_us", sa.Integer(), nullable=False, server_default="3000000")
        )
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    """Revert this migration."""
    for name in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("timing_point", schema=None) as batch_op:
        batch_op.drop_column("repeat_window_us")
        batch_op.drop_column("stray_limit_us")
        batch_op.drop_column("quiet_gap_us")
        batch_op.drop_column("crossing_method")

    op.drop_table("sync_inbox")
    op.drop_table("sync_ack")
    op.drop_table("reader_health")
    op.drop_table("outbox")
