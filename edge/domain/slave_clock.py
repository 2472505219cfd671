"""A SLAVE's clock as its MASTER knows it: the offset the SLAVE measured and reported."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class SlaveClockRow(SQLModel, table=True):
    """The last clock report of one SLAVE (best of its recent NTP-style samples).

    ``offset_us`` is the SLAVE's clock minus the MASTER's (positive: the SLAVE is ahead),
    ``delay_us`` the round trip of that sample, ``measured_us`` when the SLAVE measured it
    (its clock), ``received_us`` when the MASTER received the report (the MASTER's clock).
    """

    __tablename__ = "slave_clock"

    device_id: str = Field(primary_key=True)
    point: str = ""
    offset_us: int
    delay_us: int
    samples: int = 0
    measured_us: int
    received_us: int
