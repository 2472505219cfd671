"""Deterministic tar archives: the same files give the same bytes, whoever builds them."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from edge.store.files import move_into_place

# 1980-01-01 UTC, the oldest time a zip (a wheel) can hold: any constant would do.
FIXED_MTIME = 315532800
FILE_MODE = 0o644


def write_tar(destination: Path, files: Mapping[str, Path | bytes]) -> None:
    """Write ``files`` (archive name -> path or contents) sorted, with fixed owner, mode and time.

    The archive is written and synced beside ``destination``, then moved into place,
    so nobody (a web server publishing releases, say) ever sees half of it.
    """
    with tempfile.NamedTemporaryFile(
        dir=destination.parent, prefix=f".{destination.name}.", delete=False
    ) as stream:
        partial = Path(stream.name)
        try:
            with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as archive:
                for name in sorted(files):
                    content = files[name]
                    data = content if isinstance(content, bytes) else content.read_bytes()
                    archive.addfile(_member(name, len(data)), io.BytesIO(data))
            stream.flush()
            os.fsync(stream.fileno())
            os.fchmod(stream.fileno(), FILE_MODE)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    move_into_place(partial, destination)


def _member(name: str, size: int) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size = size
    member.mtime = FIXED_MTIME
    member.mode = FILE_MODE
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    return member
