"""The folder of logged-in sessions, without the web framework: read, write, prune.

One file per session, written atomically, private to the service user. A file holds
``SessionRecord`` in MessagePack, byte for byte what Litestar's ``StorageObject``
writes (the same two fields in the same order), so sessions written by an earlier
release stay valid. The worker prunes this folder and does not load Litestar for it
(22 MB of a box's memory budget); ``edge.auth.sessions`` is the Litestar ``Store``
over it that the web apps use.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from edge.store.files import PRIVATE_MODE, write_atomic

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32,128}")
"""What a session id looks like (``secrets.token_hex``): anything else is no session."""
STALE_TEMPORARY_S = 3600.0
"""A temporary file older than this was left by a crash (a write takes milliseconds)."""


class SessionRecord(msgspec.Struct):
    """A stored session: its data and when it expires (None: never)."""

    expires_at: datetime | None
    data: bytes

    @classmethod
    def new(cls, data: bytes, expires_in: int | timedelta | None) -> SessionRecord:
        """A record of ``data`` expiring in ``expires_in`` (seconds or a timedelta)."""
        if expires_in is not None and not isinstance(expires_in, timedelta):
            expires_in = timedelta(seconds=expires_in)
        expires_at = datetime.now(UTC) + expires_in if expires_in else None
        return cls(expires_at=expires_at, data=data)

    @property
    def expired(self) -> bool:
        """Whether the session is over."""
        return self.expires_at is not None and datetime.now(UTC) >= self.expires_at

    @property
    def expires_in(self) -> int:
        """Seconds left (-1: no expiry)."""
        if self.expires_at is None:
            return -1
        return int(self.expires_at.timestamp() - datetime.now(UTC).timestamp())


class SessionFolder:
    """Sessions in ``folder``, one file per session id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path | None:
        """The file of session ``key``; None when ``key`` is not a session id."""
        return self.folder / key if SESSION_ID.fullmatch(key) else None

    def write(self, path: Path, record: SessionRecord) -> None:
        """Store ``record`` durably (a power cut leaves the old file or the new one)."""
        write_atomic(path, msgspec.msgpack.encode(record), PRIVATE_MODE)

    def files(self) -> list[Path]:
        """Every file in the folder (sessions and temporaries)."""
        try:
            return [path for path in self.folder.iterdir() if path.is_file()]
        except FileNotFoundError:
            return []

    def count(self) -> int:
        """How many session files there are."""
        return sum(1 for path in self.files() if SESSION_ID.fullmatch(path.name))

    def prune(self) -> int:
        """Delete expired sessions, unreadable files and stale temporaries; how many went."""
        removed = 0
        now = time.time()
        for path in self.files():
            gone = False
            if SESSION_ID.fullmatch(path.name):
                stored = read_record(path)
                gone = stored is None or stored.expired
            elif path.name.startswith(".") and path.name.endswith(".tmp"):
                # A temporary of write_atomic that a crash left behind.
                with contextlib.suppress(FileNotFoundError):
                    gone = now - path.stat().st_mtime > STALE_TEMPORARY_S
            if gone:
                path.unlink(missing_ok=True)
                removed += 1
        if removed:
            log.info("pruned %d session files in %s", removed, self.folder)
        return removed


def read_record(path: Path) -> SessionRecord | None:
    """The stored session, or None when missing or unreadable (cut short by a crash)."""
    try:
        return msgspec.msgpack.decode(path.read_bytes(), type=SessionRecord)
    except FileNotFoundError:
        return None
    except (msgspec.DecodeError, OSError):  # a truncated or foreign file
        log.warning("unreadable session file %s: ignored", path)
        return None
