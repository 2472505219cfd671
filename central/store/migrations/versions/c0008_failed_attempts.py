"""failed attempts at a secret, kept so that a restart does not reset the brute-force limits

Revision ID: c0008
Revises: c0007
Create Date: 2026-12-03 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0008"
down_revision = "c0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration (a new table only: older releases ignore it)."""
    op.create_table(
        "failed_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_failed_attempt_scope_client", "failed_attempt", ["scope", "client"])
    op.create_index("ix_failed_attempt_at_us", "failed_attempt", ["at_us"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_failed_attempt_at_us", table_name="failed_attempt")
    op.drop_index("ix_failed_attempt_scope_client", table_name="failed_attempt")
    op.drop_table("failed_attempt")
