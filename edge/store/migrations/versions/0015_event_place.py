"""event place: where the event takes place, for central's public list (issue 24)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 15:00:00

A nullable column only: a release before this one runs on the new schema untouched,
and an event loaded before it has no place until its file says one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("event", sa.Column("place", AutoString(), nullable=True))


def downgrade() -> None:
    """Revert this migration.

    SQLite drops a column in place (3.35+): a batch copy of ``event`` would drop the
    table under its races' and points' foreign keys.
    """
    op.execute("ALTER TABLE event DROP COLUMN place")
