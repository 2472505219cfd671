"""A backup's snapshot files never outlive it: failed copies and killed attempts (chaos seed 30).

The 30-minute campaign with seed 30 filled a MASTER's disk with seven uncompressed
snapshot copies (949 MB) left by backups cut by a full disk and by ``kill -9`` of the
worker; from then on the MASTER refused its SLAVEs' reads (503, disk full).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edge.backup.snapshot import BackupBusy, backups_held, take_snapshot


def snapshot_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("snapshot-*"))


def test_a_copy_that_fails_leaves_no_file(tmp_path: Path) -> None:
    database = tmp_path / "edge.db"
    database.write_bytes(b"not a database, as a damaged card may give" * 100)
    folder = tmp_path / "backups"
    with pytest.raises(sqlite3.DatabaseError):
        take_snapshot(database, folder)
    assert folder.is_dir()
    assert snapshot_files(folder) == []


def test_a_snapshot_taken_leaves_only_its_compressed_file(tmp_path: Path) -> None:
    database = tmp_path / "edge.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY)")
        db.executemany("INSERT INTO outbox VALUES (?)", [(n,) for n in range(1, 8)])
    folder = tmp_path / "backups"
    snapshot = take_snapshot(database, folder)
    assert snapshot.seq == 7
    assert snapshot_files(folder) == [snapshot.path.name]


def test_what_a_killed_backup_left_is_removed_by_the_next(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    # A backup killed (SIGKILL) while it holds the folder, its copy half written.
    killed = subprocess.run(
        [sys.executable, "-c", (
            "import os, signal, sys\n"
            "from pathlib import Path\n"
            "from edge.backup.snapshot import backups_held\n"
            "folder = Path(sys.argv[1])\n"
            "with backups_held(folder):\n"
            "    (folder / 'snapshot-1.db').write_bytes(b'x' * 4096)\n"
            "    (folder / 'snapshot-1.db-journal').write_bytes(b'j')\n"
            "    (folder / 'snapshot-0.db.gz').write_bytes(b'g')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
        ), str(folder)],
        check=False,
    )  # fmt: skip
    assert killed.returncode == -9
    assert snapshot_files(folder) == ["snapshot-0.db.gz", "snapshot-1.db", "snapshot-1.db-journal"]
    (folder / "notes.txt").write_text("not a snapshot: kept")
    with backups_held(folder):  # the kernel let the dead holder's lock go
        assert snapshot_files(folder) == []
    assert (folder / "notes.txt").exists()


def test_a_second_backup_meanwhile_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    with backups_held(folder):
        working = folder / "snapshot-5.db"
        working.write_bytes(b"being copied")
        with pytest.raises(BackupBusy, match="another backup"), backups_held(folder):
            pass
        assert working.exists()
    assert sorted(os.listdir(folder)) == ["snapshot-5.db", "snapshot.lock"]
