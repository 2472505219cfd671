"""results versions: a race's results provisional, then official once signed off

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 11:40:00

A new table only: a release before this one runs on this schema unchanged. Its rows
are replicated through the outbox (codes, not ids, as for corrections), so central holds
every sign-off and re-opening and a box restored from central keeps them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
RACE = "(SELECT {what} FROM race r JOIN event e ON e.id = r.event_id WHERE r.id = {row}.race_id)"


def _payload(row: str) -> str:
    # The event's slug and the race's code: a restored box has its own ids for them.
    event, race = RACE.format(what="e.slug", row=row), RACE.format(what="r.code", row=row)
    return f"""json_object(
    'id', {row}.id, 'event', {event}, 'race', {race},
    'version', {row}.version, 'state', {row}.state, 'reason', {row}.reason,
    'opened_by', {row}.opened_by, 'opened_us', {row}.opened_us,
    'signed_by', {row}.signed_by, 'signed_us', {row}.signed_us)"""


def _trigger(name: str, when: str, op_name: str, row: str, payload: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {when} ON results_version BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('results_version', '{op_name}', {row}.id, {payload}, {NOW_US});
END"""


# Never deleted by the application; a deleted race or event cascades to them (the
# delete names no event then, like a correction's: central only logs it).
TRIGGERS = {
    "outbox_results_version_insert": _trigger(
        "outbox_results_version_insert", "INSERT", "upsert", "NEW", _payload("NEW")
    ),
    "outbox_results_version_update": _trigger(
        "outbox_results_version_update", "UPDATE", "upsert", "NEW", _payload("NEW")
    ),
    "outbox_results_version_delete": _trigger(
        "outbox_results_version_delete", "DELETE", "delete", "OLD", "json_object('id', OLD.id)"
    ),
}


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
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    """Revert this migration."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("results_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_version_race_id"))
    op.drop_table("results_version")
