"""Check-ins: a chip seen at the check-in point before the start (issue 21).

A check-in read is not a race passing: it goes here, never to ``tag_read``, so no
passing is ever derived from it. One row is one *pass* of a chip over the check-in
antennas (a tag lying on the check-in mat is read dozens of times a second): the
first read opens the row, later reads of the same pass move ``last_us`` on and count.
Rows are never deleted; whose chip it is is resolved when shown (entrants' tags and
chip swaps, ``edge.services.checkins``), so a swap made later applies to it too.
"""

from __future__ import annotations

from sqlmodel import Field, Index, SQLModel

from edge.domain.ids import new_id


class Checkin(SQLModel, table=True):
    """One pass of a chip over the check-in antennas."""

    __table_args__ = (Index("ix_checkin_event_epc", "event_id", "epc"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    event_id: str = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    device_id: str = ""
    epc: str
    antenna: int
    first_us: int  # corrected time of the pass's first read
    last_us: int  # and of its latest
    read_count: int = 1
    created_us: int
