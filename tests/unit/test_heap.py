"""The worker's malloc arena limit is set through glibc, an operator's choice wins, and
freed memory goes back to the system when asked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from edge import heap


def test_the_arena_limit_is_set_on_glibc():
    # A child process: the limit holds for the rest of a process's life.
    code = "from edge.heap import limit_arenas; print(limit_arenas(2))"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_malloc_arena_max_in_the_environment_is_left_in_force(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert heap.limit_arenas(2) is False


def test_freed_memory_is_given_back_to_the_system():
    # 200 MB of malloc'd blocks (over pymalloc's 512 bytes), then freed: glibc keeps them
    # resident until asked; a result cache round leaves the same behind.
    code = """
import gc
from edge.heap import give_back_free_memory
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS'))
blocks = [bytes(2000) + bytes([i % 256]) for i in range(100_000)]
keep = blocks[::1000]
del blocks
gc.collect()
before = rss()
given = give_back_free_memory()
print(given, (before - rss()) // 1024)
"""
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    given, freed_mb = found.stdout.split()
    assert given == "True"
    assert int(freed_mb) >= 100
