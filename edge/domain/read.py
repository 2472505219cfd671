"""Raw RFID reads: append-only, the ground truth every passing is derived from."""

from __future__ import annotations

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from edge.domain.ids import new_id


class TagRead(SQLModel, table=True):
    """One report of one tag by one antenna, as the reader sent it.

    ``reader_time_us`` is the reader's own clock (often wrong: no RTC); the
    crossing estimation uses ``corrected_time_us`` (reader time + the offset
    measured at connect). The same (point, epc, antenna, reader time) is stored
    once, which makes replays and re-imports of a reader log harmless.
    """

    __tablename__ = "tag_read"
    __table_args__ = (
        UniqueConstraint("point_id", "epc", "antenna", "reader_time_us", name="uq_tag_read"),
        Index("ix_tag_read_point_time", "point_id", "corrected_time_us"),
    )

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    point_id: str = Field(foreign_key="timing_point.id", ondelete="RESTRICT")
    device_id: str = ""
    epc: str
    antenna: int
    rssi_dbm: float
    reader_time_us: int
    corrected_time_us: int
    created_us: int
