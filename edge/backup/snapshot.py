"""A consistent copy of the live database (SQLite online backup API), gzip-compressed."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edge.domain.clock import now_us
from edge.store.sqlite import BUSY_TIMEOUT_MS, private_database

_PAGES_PER_STEP = 1024  # copy in steps so writers (the reader service) are not held up


@dataclass(frozen=True)
class Snapshot:
    """A compressed snapshot file and what identifies it."""

    path: Path
    size: int
    sha256: str
    seq: int  # the last outbox seq inside: changes after it are replayed on restore


def take_snapshot(db_path: Path, folder: Path) -> Snapshot:
    """Copy ``db_path`` while it is in use, compress the copy, and describe it."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now_us()
    copy = folder / f"snapshot-{stamp}.db"
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
    compressed = folder / f"snapshot-{stamp}.db.gz"
    private_database(compressed)  # created 0600 before gzip writes into it
    with copy.open("rb") as raw, gzip.open(compressed, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, 1024 * 1024)
    copy.unlink()
    digest = hashlib.sha256()
    with compressed.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return Snapshot(compressed, compressed.stat().st_size, digest.hexdigest(), seq)
