"""results versions: a race's results provisional, then official once signed off

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 11:40:00

A new table only: a release before this one runs on this schema unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "results_version",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("race_id", AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("reason", AutoString(), nullable=False),
        sa.Column("opened_by", AutoString(), nullable=False),
        sa.Column("opened_us", sa.Integer(), nullable=False),
        sa.Column("signed_by", AutoString(), nullable=True),
        sa.Column("signed_us", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["race_id"], ["race.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("race_id", "version"),
    )
    with op.batch_alter_table("results_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_results_version_race_id"), ["race_id"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("results_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_version_race_id"))
    op.drop_table("results_version")
