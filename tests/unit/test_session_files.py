"""Session files: the worker's litestar-free folder reads what the web apps' Store wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from litestar.stores.base import StorageObject

from edge.auth.session_files import SessionFolder, SessionRecord, read_record

KEY = "ab" * 16


def test_a_session_written_by_an_earlier_release_reads_the_same(tmp_path: Path) -> None:
    # Releases before this one wrote Litestar's StorageObject: the bytes are the same.
    litestar = StorageObject.new(data=b"user=1", expires_in=timedelta(hours=1))
    (tmp_path / KEY).write_bytes(litestar.to_bytes())
    record = read_record(tmp_path / KEY)
    assert record is not None
    assert (record.data, record.expires_at) == (litestar.data, litestar.expires_at)
    ours = SessionRecord.new(b"user=2", 60)
    SessionFolder(tmp_path).write(tmp_path / KEY, ours)
    back = StorageObject.from_bytes((tmp_path / KEY).read_bytes())
    assert (back.data, back.expires_at) == (b"user=2", ours.expires_at)


def test_prune_removes_expired_unreadable_and_stale_only(tmp_path: Path) -> None:
    folder = SessionFolder(tmp_path)
    live, expired, torn = "1" * 32, "2" * 32, "3" * 32
    folder.write(tmp_path / live, SessionRecord.new(b"a", 3600))
    folder.write(tmp_path / expired, SessionRecord.new(b"b", -1))
    (tmp_path / torn).write_bytes(SessionRecord.new(b"c", 3600).data[:0] + b"\x82\xaa")
    stale = tmp_path / ".x.tmp"
    stale.write_bytes(b"")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = tmp_path / ".y.tmp"
    fresh.write_bytes(b"")
    assert folder.prune() == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live, ".y.tmp"])
    assert folder.count() == 1


def test_the_worker_does_not_load_the_web_framework() -> None:
    found = subprocess.run(
        [sys.executable, "-c", "import edge.jobs.catalog, sys; print('litestar' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "False"
