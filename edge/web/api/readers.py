"""/api/v1/readers: the state of every reader connection of this box."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get
from litestar.di import NamedDependency, Provide

from edge.domain.clock import now_us
from edge.services.readers import ReaderHealthService, ReaderStatus
from edge.store.database import Database


def provide_health(db: NamedDependency[Database]) -> ReaderHealthService:
    """Dependency: the reader health service."""
    return ReaderHealthService(db)


@dataclass
class ReaderOut:
    """One reader as the API shows it (times in microseconds since the epoch, UTC)."""

    reader: str
    event: str
    point: str
    connected: bool
    service_running: bool
    reading: bool
    connected_since_us: int | None
    last_read_us: int | None
    last_message_us: int | None
    reads_total: int
    reads_per_s: dict[str, float]
    clock_offset_us: int | None
    reconnects: int
    last_error: str
    updated_us: int


def reader_out(status: ReaderStatus, now: int) -> ReaderOut:
    """The API view of a reader's status."""
    return ReaderOut(
        reader=status.reader,
        event=status.event,
        point=status.point,
        connected=status.usable,
        service_running=status.service_running,
        reading=status.reading(now),
        connected_since_us=status.connected_since_us,
        last_read_us=status.last_read_us,
        last_message_us=status.last_message_us,
        reads_total=status.reads_total,
        reads_per_s=status.reads_per_s,
        clock_offset_us=status.clock_offset_us,
        reconnects=status.reconnects,
        last_error=status.last_error,
        updated_us=status.updated_us,
    )


class ReaderController(Controller):
    """Reader connections, as written every few seconds by ``chrono-edge reader``."""

    path = "/api/v1/readers"
    tags = ["readers"]  # noqa: RUF012 (Litestar reads a class attribute)
    dependencies = {"health": Provide(provide_health, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def list_readers(self, health: NamedDependency[ReaderHealthService]) -> list[ReaderOut]:
        """Every reader: connected (and its service alive), reading now, reads/s per antenna."""
        now = now_us()
        return [reader_out(s, now) for s in await health.list_readers(now=now)]
