"""Who holds a job, judged without the wall clock.

A Pi has no real-time clock and NTP moves the wall clock by years, so a lease
is a holder identity plus a heartbeat on the monotonic clock: the host, the
boot id (a new one after every reboot), the pid and the process start time (a
pid reused by another process has another start time). On the same boot a
holder is dead when its pid is gone or belongs to another process; a live
holder whose monotonic heartbeat stopped for longer than the lease is hung.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@lru_cache(maxsize=1)
def boot_id() -> str:
    """This boot's id (Linux); the host name elsewhere."""
    try:
        return BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return f"boot-of-{socket.gethostname()}"


def host_id() -> str:
    """This machine's name (several hosts may share a PostgreSQL queue)."""
    return socket.gethostname()


def process_start(pid: int) -> int | None:
    """The process start time in clock ticks since boot, or None if no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may contain spaces: fields are counted after its ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def monotonic_us() -> int:
    """The monotonic clock in µs (comparable only within one boot)."""
    return time.monotonic_ns() // 1000


@dataclass(frozen=True)
class Holder:
    """The identity a worker writes on the jobs it claims."""

    host: str
    boot: str
    pid: int
    start: int

    @classmethod
    def me(cls) -> Holder:
        """This process."""
        pid = os.getpid()
        return cls(host_id(), boot_id(), pid, process_start(pid) or 0)

    @property
    def key(self) -> str:
        """A stable id of this worker process."""
        return f"{self.host}:{self.boot[:8]}:{self.pid}:{self.start}"


def holder_is_dead(host: str | None, boot: str | None, pid: int | None, start: int | None) -> bool:
    """Whether the recorded holder is certainly gone (same host only; else unknown: False)."""
    if host != host_id():
        return False
    if boot != boot_id():
        return True  # the machine rebooted since the claim
    if pid is None:
        return True
    return process_start(pid) != start
