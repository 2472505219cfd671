"""Event archives: a box's sealed copy of one event, uploaded to central before a purge.

An archive moves building -> uploading -> confirmed (central holds it and its sha256
checks), or to failed (with why); a purge needs a confirmed archive and stamps it
purged. The row is kept after the purge (no foreign key to the event it outlives).
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import AutoString, Field, SQLModel

from edge.domain.ids import new_id


class ArchiveState(StrEnum):
    """Where an event's archive stands."""

    BUILDING = "building"
    UPLOADING = "uploading"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    PURGED = "purged"


class EventArchive(SQLModel, table=True):
    """One archive of an event: the sealed file, its hash and central's confirmation."""

    __tablename__ = "event_archive"

    id: str = Field(default_factory=new_id, primary_key=True)
    event_slug: str = Field(index=True)
    event_name: str
    state: ArchiveState = Field(default=ArchiveState.BUILDING, sa_type=AutoString)
    file_name: str = ""  # in the box's archives folder (sealed: never readable on the box)
    size: int = 0
    sha256: str = ""  # of the sealed file, as central must find it
    seq: int = 0  # the box's last outbox seq inside the snapshot (later changes: not in it)
    counts: str = "{}"  # JSON: rows of each table inside, exports, log lines
    central_id: str = ""  # central's id of the upload
    error: str = ""  # why it failed, for the operator
    created_by: str = ""
    created_us: int
    confirmed_us: int | None = None
    purged_us: int | None = None
