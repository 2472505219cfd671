"""A writer killed between its temporary file and the rename leaves the old file intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.store.files import write_atomic

pytestmark = pytest.mark.integration

# A child process that writes the file with write_atomic, but whose rename waits
# forever once the temporary file is complete (synced, mode set): the parent kills
# it there with SIGKILL, which no cleanup code can catch.
CHILD = """
import os, sys, time
from pathlib import Path
from edge.store import files

def stalled_replace(source, target):
    Path(sys.argv[2]).write_text(str(source))
    time.sleep(600)

files.os.replace = stalled_replace
files.write_atomic(Path(sys.argv[1]), b"new contents", 0o600)
"""


def test_a_writer_killed_before_its_rename_leaves_the_old_file(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "box" / "reader.json", b"old contents", 0o600)
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert child.poll() is None, "the writer ended before reaching its rename"
            assert time.monotonic() < deadline, "the writer never reached its rename"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    temporary = Path(ready.read_text())
    assert temporary.read_bytes() == b"new contents"  # killed with the new file complete...
    assert target.read_bytes() == b"old contents"  # ...and the real file is the old one
    assert temporary.name.startswith(".reader.json.")  # hidden, never taken for the file
    write_atomic(target, b"next contents", 0o600)  # the next write is unaffected
    assert target.read_bytes() == b"next contents"
