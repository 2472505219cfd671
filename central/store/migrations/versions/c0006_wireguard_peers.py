"""wireguard peers of the hub

Revision ID: c0006
Revises: c0005
Create Date: 2026-11-22 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "c0006"
down_revision = "c0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "wireguard_peer",
        sa.Column("device_id", AutoString(), nullable=False),
        sa.Column("public_key", AutoString(), nullable=False),
        sa.Column("tunnel_address", AutoString(), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("last_handshake_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"]),
        sa.PrimaryKeyConstraint("device_id"),
        sa.UniqueConstraint("tunnel_address"),
    )
    op.create_index(
        op.f("ix_wireguard_peer_public_key"), "wireguard_peer", ["public_key"], unique=False
    )
    # Boxes enrolled before this table existed get their peer row from the device table.
    op.execute(
        "INSERT INTO wireguard_peer (device_id, public_key, tunnel_address, created_us,"
        " updated_us) SELECT id, wg_public_key, tunnel_address, enrolled_us, enrolled_us"
        " FROM device"
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(op.f("ix_wireguard_peer_public_key"), table_name="wireguard_peer")
    op.drop_table("wireguard_peer")
