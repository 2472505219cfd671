"""event archives beside backups; backups sealed at rest with the fleet backup key

Revision ID: c0012
Revises: c0011
Create Date: 2026-12-04 12:00:00

New columns only, with defaults for the rows already there (older releases ignore
them). Sealing the backups already stored is not done here: it needs the fleet's
recipient from the settings, and central does it at start-up or with
``chrono-central backups seal`` (central.backups.sealing).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0012"
down_revision = "c0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.add_column(
        "backup", sa.Column("kind", AutoString(), nullable=False, server_default="snapshot")
    )
    op.add_column("backup", sa.Column("event_slug", AutoString(), nullable=True))
    op.add_column(
        "backup", sa.Column("sealed", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("backup", sa.Column("uploaded_sha256", AutoString(), nullable=True))
    op.add_column("backup", sa.Column("verified_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("backup") as table:
        for column in ("verified_us", "uploaded_sha256", "sealed", "event_slug", "kind"):
            table.drop_column(column)
