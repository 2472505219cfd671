"""Replication bookkeeping: the transactional outbox and both ends' cursors.

Every replicated change (a raw read, a passing written or deleted) is appended
to ``outbox`` by SQLite triggers in the same transaction as the change, so a
change cannot exist without its outbox row. ``seq`` is the box's monotonically
increasing sequence (AUTOINCREMENT: never reused, and a rolled-back insert does
not consume a number). Payloads name the event by slug and the point by code,
because a SLAVE that loaded the same event file has its own row ids.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import AutoString, Field, SQLModel


class ChangeOp(StrEnum):
    """What happened to the row."""

    UPSERT = "upsert"
    DELETE = "delete"


class OutboxEntry(SQLModel, table=True):
    """One change to replicate, in the order it was committed."""

    __tablename__ = "outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: int | None = Field(default=None, primary_key=True)
    table_name: str
    op: ChangeOp = Field(sa_type=AutoString)
    row_id: str
    payload: str  # JSON object of the row (see the triggers in migration 0003)
    created_us: int


class SyncAck(SQLModel, table=True):
    """Sender side: how far a receiver (the MASTER, central) has acknowledged."""

    __tablename__ = "sync_ack"

    target: str = Field(primary_key=True)  # "master" | "central"
    acked_seq: int = 0
    attempts: int = 0  # failed sends since the last success
    last_error: str = ""
    updated_us: int = 0


class SyncInbox(SQLModel, table=True):
    """Receiver side: the last seq applied from each sending device."""

    __tablename__ = "sync_inbox"

    device_id: str = Field(primary_key=True)
    last_seq: int = 0
    updated_us: int = 0
