"""Where backup files live: an interface, and the filesystem store used by default.

An S3-compatible store implements the same four methods (multipart uploads map
onto ``append``); nothing else in central touches files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

CHUNK = 1024 * 1024


class BackupStore(Protocol):
    """Append-only blobs addressed by key."""

    def append(self, key: str, offset: int, data: bytes) -> int:
        """Write ``data`` at ``offset`` (the current size) durably; return the new size."""

    def size(self, key: str) -> int:
        """Bytes stored under ``key`` (0 when absent)."""

    def read(self, key: str) -> Iterator[bytes]:
        """The blob's bytes, in chunks."""

    def delete(self, key: str) -> None:
        """Remove the blob (no error when absent)."""


class FileSystemBackupStore:
    """One file per backup under a folder; each append is fsynced before it is acknowledged."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"invalid backup key {key!r}")
        return self.root / key

    def append(self, key: str, offset: int, data: bytes) -> int:
        """Write at ``offset``, truncating anything after it (a chunk whose ack was lost)."""
        path = self._path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.ftruncate(handle, offset)
            os.lseek(handle, offset, os.SEEK_SET)
            view = memoryview(data)
            while view:
                written = os.write(handle, view)
                view = view[written:]
            os.fsync(handle)
            return offset + len(data)
        finally:
            os.close(handle)

    def size(self, key: str) -> int:
        """Bytes stored under ``key``."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return 0

    def read(self, key: str) -> Iterator[bytes]:
        """The file's bytes in 1 MiB chunks."""
        with self._path(key).open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk

    def delete(self, key: str) -> None:
        """Remove the file."""
        self._path(key).unlink(missing_ok=True)
