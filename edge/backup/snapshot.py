"""A consistent copy of the live database (SQLite online backup API), gzip-compressed.

A snapshot is a full copy of the database until it is compressed (the database's size
again on the same disk), then a compressed file until it is uploaded. A failed copy is
removed at once, and whatever an attempt killed on the way left behind is removed by
the next one: the chaos campaign (seed 30, 30 minutes) found a MASTER's disk filled by
seven such copies (949 MB) left by backups cut by a full disk and by ``kill -9`` of
the worker, and the SLAVEs' forwarding refused from then on.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from edge.domain.clock import now_us
from edge.errors import ChronoEdgeError
from edge.store.sqlite import BUSY_TIMEOUT_MS, private_database

_PAGES_PER_STEP = 1024  # copy in steps so writers (the reader service) are not held up


class BackupBusy(ChronoEdgeError):
    """Another snapshot of this box is being taken or uploaded."""


@dataclass(frozen=True)
class Snapshot:
    """A compressed snapshot file and what identifies it."""

    path: Path
    size: int
    sha256: str
    seq: int  # the last outbox seq inside: changes after it are replayed on restore


@contextmanager
def backups_held(folder: Path) -> Iterator[None]:
    """The backups folder to oneself for a snapshot and its upload, leftovers removed.

    The lock (``flock``) is let go by the kernel when its holder dies, so holding it
    tells that no other process is working on a snapshot file: every one found then is
    what a killed attempt left (BackupBusy while another backup holds it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "snapshot.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BackupBusy(
                "another backup of this box is being taken or uploaded: retry once it ends"
            ) from error
        for leftover in folder.glob("snapshot-*"):
            leftover.unlink(missing_ok=True)
        yield


def take_snapshot(db_path: Path, folder: Path) -> Snapshot:
    """Copy ``db_path`` while it is in use, compress the copy, and describe it; a copy that
    fails (a full disk, a damaged database) leaves no file behind."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now_us()
    copy = folder / f"snapshot-{stamp}.db"
    compressed = folder / f"snapshot-{stamp}.db.gz"
    try:
        return _take(db_path, copy, compressed)
    except BaseException:
        for path in (copy, copy.with_name(f"{copy.name}-journal"), compressed):
            path.unlink(missing_ok=True)
        raise


def _take(db_path: Path, copy: Path, compressed: Path) -> Snapshot:
    source = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)
    private_database(copy)  # a copy of the entrants' personal data: the owner's alone
    target = sqlite3.connect(copy)
    try:
        source.backup(target, pages=_PAGES_PER_STEP)
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise RuntimeError(f"the snapshot failed its integrity check: {check}")
        row = target.execute("SELECT max(seq) FROM outbox").fetchone()
        seq = int(row[0] or 0)
    finally:
        target.close()
        source.close()
    private_database(compressed)  # created 0600 before gzip writes into it
    with copy.open("rb") as raw, gzip.open(compressed, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, 1024 * 1024)
    copy.unlink()
    digest = hashlib.sha256()
    with compressed.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return Snapshot(compressed, compressed.stat().st_size, digest.hexdigest(), seq)
