"""The reader's reads held in memory while the disk is full, told to the other processes.

When the disk is full the reader cannot commit its reads, nor write its health row:
SQLite needs room for every write. It keeps the reads in memory (``edge.rfid.batcher``)
and says so in ``reader-held.json`` beside the database, a file it makes at start with
room for the notice and then only overwrites in place: overwriting blocks a file
already owns needs no free space, so the notice reaches the console and /setup (their
"disk full" alarm, ``edge.alarms``) while nothing else can be written.

The file is rewritten at least every ``REFRESH_S`` while reads are held; a notice older
than ``STALE_AFTER_S`` is from a reader that no longer runs, and is ignored.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from edge.clock import now_us

log = logging.getLogger(__name__)

HELD_FILE = "reader-held.json"
NOTICE_BYTES = 512
"""The file's fixed size: the notice, padded with spaces (a notice is ~200 bytes)."""
REFRESH_S = 5.0
"""How often, at most, the reader rewrites the notice while it holds reads."""
STALE_AFTER_S = 3 * REFRESH_S
"""A notice older than this is from a reader process that stopped."""
_US = 1_000_000


@dataclass(frozen=True)
class HeldReads:
    """What the reader holds in memory, as of ``updated_us`` (box time)."""

    held: int  # reads received and not committed yet
    dropped: int  # reads refused since the disk filled: past the bound, lost
    bound: int  # how many reads the reader may hold
    since_us: int | None  # when the disk was found full (None: it is not)
    error: str
    pid: int
    updated_us: int

    @property
    def disk_full(self) -> bool:
        """Whether the reader found the disk full and has not committed its reads since."""
        return self.since_us is not None

    def fresh(self, now: int) -> bool:
        """Whether the reader process that wrote it still runs (it wrote it recently)."""
        return now - self.updated_us <= STALE_AFTER_S * _US


def held_file(database: Path) -> Path:
    """Where the reader of the box whose database is ``database`` writes its notice."""
    return database.with_name(HELD_FILE)


class HeldNotice:
    """The reader's side: made once with its room, then overwritten in place."""

    def __init__(self, database: Path) -> None:
        self.path = held_file(database)
        self._fd: int | None = None
        self._warned = False  # a full disk refuses every try: say it once

    def open(self) -> bool:
        """Make the file with its full size (a no-op once done); False if the disk refuses."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            self._warn(err)
            return False
        try:
            if os.fstat(fd).st_size < NOTICE_BYTES:
                # Real bytes, not a hole: a sparse file would need room when written later.
                os.pwrite(fd, b" " * NOTICE_BYTES, 0)
                os.fsync(fd)
        except OSError as err:
            os.close(fd)
            self._warn(err)
            return False
        self._fd = fd
        return True

    def _warn(self, err: OSError) -> None:
        if not self._warned:
            self._warned = True
            log.warning("cannot make %s (the console will not see a full disk): %s", self.path, err)

    def write(self, state: HeldReads) -> None:
        """Overwrite the notice with ``state``; never raises (it is only a notice)."""
        if self._fd is None and not self.open():
            return
        assert self._fd is not None
        text = json.dumps(asdict(state), separators=(",", ":")).encode()
        try:
            os.pwrite(self._fd, text.ljust(NOTICE_BYTES)[:NOTICE_BYTES], 0)
        except OSError as err:
            log.warning("cannot write %s: %s", self.path, err)

    def close(self) -> None:
        """Let the file go (it stays, saying what it last said)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def reserve_notice(database: Path) -> None:
    """Make the notice's file with its room now, while the disk has some (every process
    of the box does at start: a reader started on a full disk finds it made)."""
    notice = HeldNotice(database)
    if notice.open():
        notice.close()


def read_held(database: Path) -> HeldReads | None:
    """The reader's last notice beside ``database``; None if there is none (or it is torn)."""
    try:
        text = held_file(database).read_bytes()
    except OSError:
        return None
    try:
        found = json.loads(text)
        return HeldReads(**found)
    except (ValueError, TypeError):  # empty, or read while being overwritten
        return None


def idle_notice(bound: int, now: int | None = None) -> HeldReads:
    """The notice of a reader that holds nothing."""
    return HeldReads(0, 0, bound, None, "", os.getpid(), now_us() if now is None else now)
