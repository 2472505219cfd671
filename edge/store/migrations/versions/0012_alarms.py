"""alarms: a timing point's own "no read for N seconds" alarm

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 12:00:00

One new nullable column (None: the box's alarm_no_read_s setting): a release before this
one still reads and writes timing points.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.add_column("timing_point", sa.Column("no_read_alarm_us", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this migration.

    SQLite drops a column in place (3.35+): a batch copy of ``timing_point`` would drop the
    table under its reads' and passings' foreign keys.
    """
    op.execute("ALTER TABLE timing_point DROP COLUMN no_read_alarm_us")
