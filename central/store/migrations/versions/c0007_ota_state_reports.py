"""the update state boxes report: the latest per device and a history

Revision ID: c0007
Revises: c0006
Create Date: 2026-12-03 17:41:18.278953
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0007"
down_revision = "c0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "ota_device",
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("channel", AutoString(), nullable=False),
        sa.Column("target", AutoString(), nullable=False),
        sa.Column("offered_us", sa.BigInteger(), nullable=True),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("current", AutoString(), nullable=False),
        sa.Column("previous", AutoString(), nullable=True),
        sa.Column("offered", AutoString(), nullable=True),
        sa.Column("rollout", AutoString(), nullable=True),
        sa.Column("error", AutoString(), nullable=True),
        sa.Column("reason", AutoString(), nullable=True),
        sa.Column("at_us", sa.BigInteger(), nullable=True),
        sa.Column("received_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", AutoString(), nullable=True),
        sa.Column("last_error_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("device_id"),
    )
    op.create_table(
        "ota_report",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("current", AutoString(), nullable=False),
        sa.Column("previous", AutoString(), nullable=True),
        sa.Column("offered", AutoString(), nullable=True),
        sa.Column("rollout", AutoString(), nullable=True),
        sa.Column("error", AutoString(), nullable=True),
        sa.Column("reason", AutoString(), nullable=True),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("received_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ota_report_device_id"), "ota_report", ["device_id"], unique=False)
    op.create_index(op.f("ix_ota_report_rollout"), "ota_report", ["rollout"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(op.f("ix_ota_report_rollout"), table_name="ota_report")
    op.drop_index(op.f("ix_ota_report_device_id"), table_name="ota_report")
    op.drop_table("ota_report")
    op.drop_table("ota_device")
