"""Time-ordered unique ids for rows created on a box."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    """Return a new UUIDv7 as a 36-character string (sorts by creation time)."""
    return str(uuid6.uuid7())
