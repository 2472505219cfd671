"""raw tag reads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:28:54.996404
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""

    op.create_table(
        "tag_read",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("point_id", AutoString(), nullable=False),
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("epc", AutoString(), nullable=False),
        sa.Column("antenna", sa.Integer(), nullable=False),
        sa.Column("rssi_dbm", sa.Float(), nullable=False),
        sa.Column("reader_time_us", sa.Integer(), nullable=False),
        sa.Column("corrected_time_us", sa.Integer(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_id"], ["timing_point.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("point_id", "epc", "antenna", "reader_time_us", name="uq_tag_read"),
    )
    with op.batch_alter_table("tag_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_read_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "ix_tag_read_point_time", ["point_id", "corrected_time_us"], unique=False
        )


def downgrade() -> None:
    """Revert this migration."""

    with op.batch_alter_table("tag_read", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_read_point_time")
        batch_op.drop_index(batch_op.f("ix_tag_read_event_id"))

    op.drop_table("tag_read")
