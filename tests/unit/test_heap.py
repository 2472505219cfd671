"""The worker's malloc arena limit is set through glibc, and an operator's choice wins."""

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
