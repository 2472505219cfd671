"""Time-ordered unique ids for rows created on a box (``edge.ids``).

The function lives outside ``edge.domain``, whose package loads every SQLModel table,
so that the reader service makes ids without importing SQLAlchemy.
"""

from __future__ import annotations

from edge.ids import new_id as new_id
