"""central_event place: where an event takes place, as its boxes report it (issue 24)

Revision ID: c0013
Revises: c0012
Create Date: 2026-12-04 15:00:00

A nullable column only: older releases ignore it, and a box older than issue 24
reports no place (the public list then shows the event's name and date alone).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0013"
down_revision = "c0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("central_event", sa.Column("place", AutoString(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("central_event") as table:
        table.drop_column("place")
