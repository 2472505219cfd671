"""The Litestar ``Store`` of logged-in sessions, for the box and for central.

The session middleware keeps its data here, in ``edge.auth.session_files``' folder.
Unlike Litestar's ``FileStore`` a write is durable or fails loudly
(``edge.store.files``: a power cut leaves the old file or the new one), a file cut
short by a crash reads as no session instead of an error, a cookie value that is
not a session id never becomes a path, and ``prune`` deletes expired sessions,
unreadable files and temporaries a crash left behind (run periodically: the box's
``sessions.prune`` job, central's ``session_pruner`` task).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from litestar.stores.base import Store

from edge.auth.session_files import SessionFolder, SessionRecord, read_record


class SessionFiles(Store):
    """Sessions in ``folder``, one file per session id, private to the service user."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sessions = SessionFolder(folder)

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Write the session ``key`` (a malformed id is refused: ValueError)."""
        path = self._sessions.path(key)
        if path is None:
            raise ValueError("not a session id")
        data = value.encode("utf-8") if isinstance(value, str) else value
        record = SessionRecord.new(data, expires_in)
        await asyncio.to_thread(self._sessions.write, path, record)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The session's data, or None when it is missing, expired or unreadable."""
        path = self._sessions.path(key)
        if path is None:
            return None
        stored = await asyncio.to_thread(read_record, path)
        if stored is None or stored.expired:
            await self.delete(key)
            return None
        if renew_for and stored.expires_at:
            await self.set(key, stored.data, expires_in=renew_for)
        return stored.data

    async def delete(self, key: str) -> None:
        """Forget the session ``key`` (nothing happens if it does not exist)."""
        path = self._sessions.path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    async def delete_all(self) -> None:
        """Forget every session (everybody logs in again)."""
        for path in self._sessions.files():
            path.unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is a live session."""
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        """Seconds the session ``key`` has left (None: missing or without expiry)."""
        path = self._sessions.path(key)
        stored = await asyncio.to_thread(read_record, path) if path is not None else None
        return stored.expires_in if stored is not None and stored.expires_at else None

    async def delete_expired(self) -> None:
        """Litestar's name for ``prune`` (the box runs it at start too)."""
        await self.prune()

    async def prune(self) -> int:
        """Delete expired sessions, unreadable files and stale temporaries; how many went."""
        return await asyncio.to_thread(self._sessions.prune)

    def count(self) -> int:
        """How many session files there are (tests and ``sessions.prune``'s report)."""
        return self._sessions.count()
