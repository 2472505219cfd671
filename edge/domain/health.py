"""Reader health, written every few seconds by ``chrono-edge reader``."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from edge.heartbeat import HEALTH_INTERVAL_S as HEALTH_INTERVAL_S
from edge.heartbeat import STALE_AFTER_S as STALE_AFTER_S


class ReaderHealth(SQLModel, table=True):
    """The state of one reader connection, as its service last saw it.

    ``reads_per_s`` is a JSON object antenna -> reads per second over the last
    interval; ``clock_offset_us`` is box time minus reader time, measured at
    connect (a reader without a real-time clock is off by decades); ``clock_drift_us`` how
    far reader time minus box time (at receipt of its reports) moved since then.
    """

    __tablename__ = "reader_health"

    reader: str = Field(primary_key=True)  # "host:port"
    event_slug: str = ""
    point_code: str = ""
    connected: bool = False
    connected_since_us: int | None = None
    last_read_us: int | None = None
    last_message_us: int | None = None  # any frame, keepalives included
    reads_total: int = 0
    reads_per_s: str = "{}"
    clock_offset_us: int | None = None
    reconnects: int = 0
    last_error: str = ""
    pid: int = 0
    updated_us: int = 0
    clock_drift_us: int | None = None  # how far the reader's offset moved since connect
