"""outbox: entrants are replicated too (imports, edits, DSQ/DNF corrections)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"


def _payload(row: str) -> str:
    # Codes, not ids: another box (or a restored one) has its own ids for races and waves.
    return f"""json_object(
    'id', {row}.id,
    'event', (SELECT slug FROM event WHERE id = {row}.event_id),
    'race', (SELECT code FROM race WHERE id = {row}.race_id),
    'wave', (SELECT code FROM wave WHERE id = {row}.wave_id),
    'bib', {row}.bib, 'last_name', {row}.last_name, 'first_name', {row}.first_name,
    'sex', {row}.sex, 'birth_date', {row}.birth_date, 'birth_year', {row}.birth_year,
    'club', {row}.club, 'team', {row}.team, 'tag1', {row}.tag1, 'tag2', {row}.tag2,
    'category_override', {row}.category_override, 'manual_status', {row}.manual_status)"""


def _trigger(name: str, when: str, op_name: str, row: str, payload: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {when} ON entrant BEGIN
    INSERT INTO outbox (table_name, op, row_id, payload, created_us)
    VALUES ('entrant', '{op_name}', {row}.id, {payload}, {NOW_US});
END"""


DELETED = """json_object('id', OLD.id, 'event', (SELECT slug FROM event WHERE id = OLD.event_id))"""

TRIGGERS = {
    "outbox_entrant_insert": _trigger("outbox_entrant_insert", "INSERT", "upsert", "NEW",
                                      _payload("NEW")),
    "outbox_entrant_update": _trigger("outbox_entrant_update", "UPDATE", "upsert", "NEW",
                                      _payload("NEW")),
    "outbox_entrant_delete": _trigger("outbox_entrant_delete", "DELETE", "delete", "OLD",
                                      DELETED),
}  # fmt: skip


def upgrade() -> None:
    """Apply this migration."""
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    """Revert this migration."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
