"""device status carries the box's clock alarms (unsynchronised clock, a SLAVE's offset)

Revision ID: c0011
Revises: c0010
Create Date: 2026-12-04 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0011"
down_revision = "c0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration (a new nullable column: older releases ignore it)."""
    op.add_column("device_status", sa.Column("clock_alarms", AutoString(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("device_status") as table:
        table.drop_column("clock_alarms")
