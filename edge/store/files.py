"""The box's one way to write a file: atomically and durably, or not at all.

A power cut or a killed process leaves the old file or the new one, never half of
one (OctoPrint learnt this the hard way): the bytes go to a temporary file with a
unique name in the same folder, which is synced, given its mode, renamed over the
target, and then the folder itself is synced so the rename survives the cut. The
temporary file is removed when anything fails. Nothing else in the box renames or
replaces a file (``tests/unit/test_atomic_files.py`` greps the source for it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULT_MODE = 0o644
PRIVATE_MODE = 0o600
"""For files holding secrets: reader.json, keys, setup PIN, admin.json."""


def write_atomic(path: Path, data: bytes | str, mode: int | None = DEFAULT_MODE) -> Path:
    """Replace ``path`` by ``data`` (str: UTF-8) with ``mode``, atomically and durably.

    ``mode=None`` leaves the mode to the file system (a FAT boot partition has none).
    """
    temporary = _synced_temporary(path, data, mode)
    try:
        move_into_place(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def create_atomic(path: Path, data: bytes | str, mode: int = DEFAULT_MODE) -> Path:
    """Write ``path`` like ``write_atomic``, but only if it does not exist (FileExistsError).

    link() never replaces a file: of two writers racing to create it, exactly one wins.
    """
    temporary = _synced_temporary(path, data, mode)
    try:
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    sync_folder(path.parent)
    return path


def move_into_place(source: Path, target: Path) -> None:
    """Rename a finished, synced ``source`` over ``target`` in the same folder, durably.

    For files too big to hold in memory (a restored database): the caller writes and
    syncs ``source`` itself; this renames it and syncs the folder.
    """
    os.replace(source, target)
    sync_folder(target.parent)


def move_aside(path: Path, label: str) -> Path:
    """Rename ``path`` to ``<name>.<label>`` beside it: out of the way, kept for a look."""
    target = path.with_name(f"{path.name}.{label}")
    move_into_place(path, target)
    return target


def sync_file(path: Path) -> None:
    """Flush ``path``'s contents (or a folder's entries) to the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def sync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (a rename, a new link) to the disk."""
    sync_file(folder)


def _synced_temporary(path: Path, data: bytes | str, mode: int | None) -> Path:
    body = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique name (two writers never share a temporary file), hidden from listings;
    # mkstemp creates it 0600, so a secret is never readable by others, not even briefly.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary
