"""How often the reader service says it is alive, and when silence means it is not.

Pure numbers, apart from ``edge.domain`` (whose package loads every SQLModel table): the
reader service writes its health row on this beat without importing SQLAlchemy.
"""

from __future__ import annotations

HEALTH_INTERVAL_S = 2.0
"""How often ``chrono-edge reader`` writes its health row."""

STALE_AFTER_S = 3 * HEALTH_INTERVAL_S
"""A health row older than this means the reader process is not running."""
