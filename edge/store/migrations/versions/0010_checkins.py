"""check-ins: chips seen at the check-in point, apart from the race's reads

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 11:45:00

A new table only (expand-only: the release before this one runs on it unchanged).
Chip swaps are corrections (kind "swap"), whose table and triggers already exist.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_event_id"))
        batch_op.drop_index("ix_checkin_event_epc")
    op.drop_table("checkin")
