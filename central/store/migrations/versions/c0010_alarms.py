"""alarms the boxes report: their raise/clear history and the notifications to push

Revision ID: c0010
Revises: c0009
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0010"
down_revision = "c0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration (new tables only: older releases ignore them)."""
    op.create_table(
        "device_alarm",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("key", AutoString(), nullable=False),
        sa.Column("code", AutoString(), nullable=False),
        sa.Column("severity", AutoString(), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("message", AutoString(), nullable=False),
        sa.Column("since_us", sa.BigInteger(), nullable=True),
        sa.Column("raised_us", sa.BigInteger(), nullable=False),
        sa.Column("cleared_us", sa.BigInteger(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_device_alarm_device_id", "device_alarm", ["device_id"])
    op.create_table(
        "alarm_push",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("alarm_id", AutoString(), nullable=False),
        sa.Column("transition", AutoString(), nullable=False),
        sa.Column("channel", AutoString(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("sent_us", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["device_alarm.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alarm_push_alarm_id", "alarm_push", ["alarm_id"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_alarm_push_alarm_id", table_name="alarm_push")
    op.drop_table("alarm_push")
    op.drop_index("ix_device_alarm_device_id", table_name="device_alarm")
    op.drop_table("device_alarm")
