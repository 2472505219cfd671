"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 11:22:00.386747
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""

    op.create_table(
        "event",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("slug", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("timezone", AutoString(), nullable=False),
        sa.Column("age_reference", AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_slug"), ["slug"], unique=True)

    op.create_table(
        "race",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("code", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("timing", AutoString(), nullable=False),
        sa.Column("min_time_us", sa.Integer(), nullable=False),
        sa.Column("cutoff_us", sa.Integer(), nullable=True),
        sa.Column("team_size", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "code"),
    )
    with op.batch_alter_table("race", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_race_event_id"), ["event_id"], unique=False)

    op.create_table(
        "timing_point",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("code", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "code"),
    )
    with op.batch_alter_table("timing_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timing_point_event_id"), ["event_id"], unique=False)

    op.create_table(
        "category",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("race_id", AutoString(), nullable=False),
        sa.Column("code", AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sex", AutoString(), nullable=True),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["race_id"], ["race.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("race_id", "code"),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_race_id"), ["race_id"], unique=False)

    op.create_table(
        "passing",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("point_id", AutoString(), nullable=False),
        sa.Column("bib", AutoString(), nullable=True),
        sa.Column("epc", AutoString(), nullable=True),
        sa.Column("time_us", sa.Integer(), nullable=False),
        sa.Column("method", AutoString(), nullable=False),
        sa.Column("source", AutoString(), nullable=False),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("created_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_id"], ["timing_point.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("passing", schema=None) as batch_op:
        batch_op.create_index("ix_passing_event_bib", ["event_id", "bib"], unique=False)
        batch_op.create_index("ix_passing_event_epc", ["event_id", "epc"], unique=False)
        batch_op.create_index(
            "ix_passing_event_point_time", ["event_id", "point_id", "time_us"], unique=False
        )

    op.create_table(
        "race_point",
        sa.Column("race_id", AutoString(), nullable=False),
        sa.Column("point_id", AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["timing_point.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["race_id"], ["race.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("race_id", "point_id"),
    )
    op.create_table(
        "wave",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("race_id", AutoString(), nullable=False),
        sa.Column("code", AutoString(), nullable=False),
        sa.Column("start_us", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["race_id"], ["race.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("race_id", "code"),
    )
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wave_race_id"), ["race_id"], unique=False)

    op.create_table(
        "entrant",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("event_id", AutoString(), nullable=False),
        sa.Column("race_id", AutoString(), nullable=False),
        sa.Column("wave_id", AutoString(), nullable=True),
        sa.Column("bib", AutoString(), nullable=False),
        sa.Column("last_name", AutoString(), nullable=False),
        sa.Column("first_name", AutoString(), nullable=False),
        sa.Column("sex", AutoString(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("club", AutoString(), nullable=False),
        sa.Column("team", AutoString(), nullable=False),
        sa.Column("tag1", AutoString(), nullable=True),
        sa.Column("tag2", AutoString(), nullable=True),
        sa.Column("category_override", AutoString(), nullable=True),
        sa.Column("manual_status", AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["race_id"], ["race.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "bib"),
    )
    with op.batch_alter_table("entrant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entrant_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entrant_race_id"), ["race_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entrant_tag1"), ["tag1"], unique=False)
        batch_op.create_index(batch_op.f("ix_entrant_tag2"), ["tag2"], unique=False)


def downgrade() -> None:
    """Revert this migration."""

    with op.batch_alter_table("entrant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entrant_tag2"))
        batch_op.drop_index(batch_op.f("ix_entrant_tag1"))
        batch_op.drop_index(batch_op.f("ix_entrant_race_id"))
        batch_op.drop_index(batch_op.f("ix_entrant_event_id"))

    op.drop_table("entrant")
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wave_race_id"))

    op.drop_table("wave")
    op.drop_table("race_point")
    with op.batch_alter_table("passing", schema=None) as batch_op:
        batch_op.drop_index("ix_passing_event_point_time")
        batch_op.drop_index("ix_passing_event_epc")
        batch_op.drop_index("ix_passing_event_bib")

    op.drop_table("passing")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_race_id"))

    op.drop_table("category")
    with op.batch_alter_table("timing_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timing_point_event_id"))

    op.drop_table("timing_point")
    with op.batch_alter_table("race", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_race_event_id"))

    op.drop_table("race")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_slug"))

    op.drop_table("event")
