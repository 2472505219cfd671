"""Alarms and the snapshot of the box they are computed from: plain, frozen types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from edge.phrase import Phrase


class Severity(StrEnum):
    """How urgently an operator must act."""

    CRITICAL = "critical"  # timing is at risk now: reads or passings are being missed
    WARNING = "warning"  # timing still works, but will not for long


class AlarmCode(StrEnum):
    """What is wrong; with the subject, it names one alarm (raised once, cleared once)."""

    NO_READ = "no_read"
    READER_DISCONNECTED = "reader_disconnected"
    CLOCK_UNSYNCHRONISED = "clock_unsynchronised"
    DISK_LOW = "disk_low"
    DISK_FULL = "disk_full"
    OUTBOX_BACKLOG = "outbox_backlog"
    WORKER_DOWN = "worker_down"


@dataclass(frozen=True)
class Alarm:
    """One condition an operator must see now, and since when it holds (None: unknown)."""

    code: str  # an AlarmCode, or another source's own code (a clock rule's "clock_drift")
    severity: Severity
    message: Phrase  # English; edge.web.i18n says it in French
    since_us: int | None = None
    point: str | None = None
    antenna: int | None = None
    reader: str | None = None

    @property
    def subject(self) -> str:
        """What the alarm is about: "box", "reader H:P", "point P" or "point P antenna N"."""
        if self.point is not None and self.antenna is not None:
            return f"point {self.point} antenna {self.antenna}"
        if self.point is not None:
            return f"point {self.point}"
        if self.reader is not None:
            return f"reader {self.reader}"
        return "box"

    @property
    def key(self) -> str:
        """Code and subject: the same key on every evaluation while the condition holds."""
        return f"{self.code}:{self.subject}"


@dataclass(frozen=True)
class Thresholds:
    """When a condition becomes an alarm (the box's settings, ``alarm_*``)."""

    no_read_s: float = 120.0  # a point's own no_read_alarm_s overrides it
    disk_free_pct: float = 10.0
    backlog_age_s: float = 120.0


@dataclass(frozen=True)
class ClockState:
    """The box clock as a clock source measured it; ``None``: not measured (no alarm)."""

    synchronised: bool | None = None
    detail: str = ""  # e.g. chrony's words, shown with the alarm


@dataclass(frozen=True)
class PointWatch:
    """A timing point that should be reading: in an open race, and read before (or ours)."""

    code: str
    open_since_us: int  # the first start of its open races
    no_read_s: float  # 0: never alarm for this point
    last_read_us: int | None  # the newest read at the point (box time)
    antennas: dict[int, int] = field(default_factory=dict)  # antenna -> newest read, recent ones


@dataclass(frozen=True)
class ReaderWatch:
    """The box's own reader as its service last wrote it (``reader_health``)."""

    reader: str  # host:port
    point: str
    reported: bool  # False: no reader service ever wrote a row for it
    connected: bool = False
    service_running: bool = False
    last_message_us: int | None = None
    last_error: str = ""


@dataclass(frozen=True)
class DiskState:
    """Free space where the box keeps its database."""

    free_bytes: int
    total_bytes: int

    @property
    def free_pct(self) -> float:
        """Free space in percent of the disk."""
        return 100.0 * self.free_bytes / self.total_bytes if self.total_bytes else 100.0


@dataclass(frozen=True)
class HeldState:
    """Reads the reader holds in memory because the disk is full (``edge.store.held``)."""

    held: int
    dropped: int  # refused past the bound: lost
    bound: int
    since_us: int


@dataclass(frozen=True)
class BacklogState:
    """Changes waiting for the target this box sends to ("master" or "central")."""

    target: str
    pending: int
    oldest_pending_age_s: float
    last_error: str = ""


@dataclass(frozen=True)
class WorkerState:
    """The newest heartbeat of a running worker and whether it still beats."""

    running: bool
    heartbeat_us: int | None = None


@dataclass(frozen=True)
class BoxSnapshot:
    """Everything the rules look at, as of ``now_us``."""

    now_us: int
    points: list[PointWatch] = field(default_factory=list)
    readers: list[ReaderWatch] = field(default_factory=list)
    clock: ClockState = ClockState()
    disk: DiskState | None = None
    held: HeldState | None = None  # None: the reader holds no read it could not store
    backlog: BacklogState | None = None
    worker: WorkerState | None = None  # None: not looked at
