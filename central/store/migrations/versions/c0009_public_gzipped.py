"""public results keep their response body gzipped, made once when they are published

Revision ID: c0009
Revises: c0008
Create Date: 2026-12-04 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0009"
down_revision = "c0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration (new nullable columns only: older releases ignore them)."""
    op.add_column("public_results", sa.Column("gzipped", sa.LargeBinary(), nullable=True))
    op.add_column("public_results", sa.Column("gzipped_etag", AutoString(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("public_results") as table:
        table.drop_column("gzipped_etag")
        table.drop_column("gzipped")
