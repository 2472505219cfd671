"""Leases judged without the wall clock, and the retry backoff."""

from __future__ import annotations

import itertools
import os
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest

from edge.jobs import queue
from edge.jobs.lease import Holder, boot_id, holder_is_dead, host_id, process_start
from edge.jobs.queue import backoff_s


def test_backoff_doubles_per_attempt_with_jitter_and_a_cap():
    for attempt in range(1, 12):
        base = min(queue.BACKOFF_MAX_S, queue.BACKOFF_BASE_S * 2 ** (attempt - 1))
        waits = [backoff_s(attempt) for _ in range(200)]
        assert all(0.75 * base <= wait <= 1.25 * base for wait in waits)
        assert len(set(waits)) > 100  # jittered: workers that failed together spread out
    medians = [statistics.median(backoff_s(a) for _ in range(200)) for a in (1, 2, 3, 4)]
    assert all(b > 1.5 * a for a, b in itertools.pairwise(medians))
    assert backoff_s(60) <= 1.25 * queue.BACKOFF_MAX_S


def test_this_process_is_a_live_holder():
    me = Holder.me()
    assert (me.host, me.boot, me.pid) == (host_id(), boot_id(), os.getpid())
    assert me.start == process_start(os.getpid()) != 0
    assert not holder_is_dead(me.host, me.boot, me.pid, me.start)
    assert me.key.startswith(f"{me.host}:{me.boot[:8]}:{me.pid}:")


def test_a_holder_is_dead_after_a_reboot_or_when_its_pid_is_gone_or_reused():
    me = Holder.me()
    assert holder_is_dead(me.host, "another-boot", me.pid, me.start)
    assert holder_is_dead(me.host, me.boot, me.pid, me.start + 1)  # pid reused by another process
    assert holder_is_dead(me.host, me.boot, None, None)
    # Another machine's worker (a shared PostgreSQL queue): its liveness is unknown here,
    # so only its heartbeat can expire it.
    assert not holder_is_dead("another-host", "another-boot", 1, 1)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_process_whose_name_has_spaces_and_parentheses_is_followed_until_it_dies(
    tmp_path: Path,
):
    sleeper = tmp_path / "a) b c"  # /proc/<pid>/stat: "pid (a) b c) S ..."
    shutil.copy("/bin/sleep", sleeper)
    with subprocess.Popen([str(sleeper), "60"]) as child:
        start = process_start(child.pid)
        assert start is not None
        assert start >= Holder.me().start  # clock ticks since boot: it started after us
        assert not holder_is_dead(host_id(), boot_id(), child.pid, start)
        child.kill()
        child.wait()
    assert process_start(child.pid) is None
    assert holder_is_dead(host_id(), boot_id(), child.pid, start)
