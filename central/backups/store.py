"""Where backup files live: an interface, and the filesystem store used by default.

An S3-compatible store implements the same methods (multipart uploads map
onto ``append``); nothing else in central touches files.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from edge.sealing import Sealed, is_sealed, seal_stream
from edge.store.files import move_into_place

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

    def staging(self, key: str) -> Path:
        """A private local file where a new version of the blob is written first."""

    def replace(self, key: str, staged: Path) -> None:
        """Make ``staged`` the blob, atomically and durably (the old bytes stay until then)."""


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

    def staging(self, key: str) -> Path:
        """``.<key>.staged`` beside the blob (same filesystem: the rename is atomic)."""
        self._path(key)  # the key is checked
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f".{key}.staged"

    def replace(self, key: str, staged: Path) -> None:
        """Rename ``staged`` (written and fsynced) over the blob, then fsync the folder."""
        move_into_place(staged, self._path(key))


class _BlobReader(io.RawIOBase):
    """A blob's chunks as a file object (what the sealing reads from)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        """It is read from."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the next chunks; 0 at the end."""
        if not self._left:
            self._left = next(self._chunks, b"")
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def seal_blob(store: BackupStore, key: str, recipient: str) -> Sealed:
    """Replace the blob ``key`` by its sealed form (staged, fsynced, then renamed over it).

    Until the rename the plaintext blob is untouched; after it, a blob found sealed
    whose row still says otherwise (a crash in between) is only described again.
    """
    staged = store.staging(key)
    head = next(iter(store.read(key)), b"")
    if is_sealed(head):
        return Sealed(staged, store.size(key), _sha256(store.read(key)))
    try:
        with io.BufferedReader(_BlobReader(iter(store.read(key))), CHUNK) as plain:
            sealed = seal_stream(plain, staged, recipient, f"backup {key}")
        store.replace(key, staged)
    finally:
        staged.unlink(missing_ok=True)
    return sealed


def _sha256(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
