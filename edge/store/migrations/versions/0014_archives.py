"""archives: an event's sealed archive, central's confirmation, the purge

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 12:00:00

A new table only: a release before this one runs on the new schema untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "event_archive",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_slug", AutoString(), nullable=False),
        sa.Column("event_name", AutoString(), nullable=False),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("file_name", AutoString(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", AutoString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("counts", AutoString(), nullable=False),
        sa.Column("central_id", AutoString(), nullable=False),
        sa.Column("error", AutoString(), nullable=False),
        sa.Column("created_by", AutoString(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.Column("confirmed_us", sa.Integer(), nullable=True),
        sa.Column("purged_us", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_archive_event_slug", "event_archive", ["event_slug"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_event_archive_event_slug", table_name="event_archive")
    op.drop_table("event_archive")
