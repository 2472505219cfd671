"""Deterministic tar archives: the same files give the same bytes, whoever builds them."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path

# 1980-01-01 UTC, the oldest time a zip (a wheel) can hold: any constant would do.
FIXED_MTIME = 315532800
FILE_MODE = 0o644


def write_tar(destination: Path, files: Mapping[str, Path | bytes]) -> None:
    """Write ``files`` (archive name -> path or contents) sorted, with fixed owner, mode and time.

    The archive is written beside ``destination`` and renamed, so a reader never sees half of it.
    """
    partial = destination.with_name(f".{destination.name}.partial")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            content = files[name]
            data = content if isinstance(content, bytes) else content.read_bytes()
            archive.addfile(_member(name, len(data)), io.BytesIO(data))
    os.replace(partial, destination)


def _member(name: str, size: int) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size = size
    member.mtime = FIXED_MTIME
    member.mode = FILE_MODE
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    return member
