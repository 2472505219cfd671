"""The files that hold logged-in sessions: one per session, written atomically, pruned.

A Litestar ``Store`` (the session middleware keeps its data here), for the box and
for central. Unlike Litestar's ``FileStore`` a write is durable or fails loudly
(``edge.store.files``: a power cut leaves the old file or the new one), a file cut
short by a crash reads as no session instead of an error, a cookie value that is
not a session id never becomes a path, and ``prune`` deletes expired sessions,
unreadable files and temporaries a crash left behind (run periodically: the box's
``sessions.prune`` job, central's ``session_pruner`` task).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from datetime import timedelta
from pathlib import Path

from litestar.stores.base import StorageObject, Store

from edge.store.files import PRIVATE_MODE, write_atomic

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32,128}")
"""What a session id looks like (``secrets.token_hex``): anything else is no session."""
STALE_TEMPORARY_S = 3600.0
"""A temporary file older than this was left by a crash (a write takes milliseconds)."""


class SessionFiles(Store):
    """Sessions in ``folder``, one file per session id, private to the service user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path | None:
        return self.folder / key if SESSION_ID.fullmatch(key) else None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Write the session ``key`` (a malformed id is refused: ValueError)."""
        path = self._path(key)
        if path is None:
            raise ValueError("not a session id")
        data = value.encode("utf-8") if isinstance(value, str) else value
        stored = StorageObject.new(data=data, expires_in=expires_in).to_bytes()
        await asyncio.to_thread(write_atomic, path, stored, PRIVATE_MODE)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The session's data, or None when it is missing, expired or unreadable."""
        path = self._path(key)
        if path is None:
            return None
        stored = await asyncio.to_thread(_read, path)
        if stored is None or stored.expired:
            await self.delete(key)
            return None
        if renew_for and stored.expires_at:
            await self.set(key, stored.data, expires_in=renew_for)
        return stored.data

    async def delete(self, key: str) -> None:
        """Forget the session ``key`` (nothing happens if it does not exist)."""
        path = self._path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    async def delete_all(self) -> None:
        """Forget every session (everybody logs in again)."""
        for path in self._files():
            path.unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is a live session."""
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        """Seconds the session ``key`` has left (None: missing or without expiry)."""
        path = self._path(key)
        stored = await asyncio.to_thread(_read, path) if path is not None else None
        return stored.expires_in if stored is not None and stored.expires_at else None

    async def delete_expired(self) -> None:
        """Litestar's name for ``prune`` (the box runs it at start too)."""
        await self.prune()

    async def prune(self) -> int:
        """Delete expired sessions, unreadable files and stale temporaries; how many went."""
        return await asyncio.to_thread(self._prune)

    def count(self) -> int:
        """How many session files there are (tests and ``sessions.prune``'s report)."""
        return sum(1 for path in self._files() if SESSION_ID.fullmatch(path.name))

    def _files(self) -> list[Path]:
        try:
            return [path for path in self.folder.iterdir() if path.is_file()]
        except FileNotFoundError:
            return []

    def _prune(self) -> int:
        removed = 0
        now = time.time()
        for path in self._files():
            gone = False
            if SESSION_ID.fullmatch(path.name):
                stored = _read(path)
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


def _read(path: Path) -> StorageObject | None:
    """The stored session, or None when missing or unreadable (cut short by a crash)."""
    try:
        return StorageObject.from_bytes(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception:  # msgspec's decode errors: a truncated or foreign file
        log.warning("unreadable session file %s: ignored", path)
        return None
