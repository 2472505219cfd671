"""The C allocator's settings for a long-running process (glibc's malloc, on a Pi as here).

glibc gives threads their own malloc arenas (up to eight per core) and each keeps
the memory its threads freed. The worker opens a database, hence new SQLite threads,
for many of its jobs, and its results cache churns tens of MB every 2 s: spread over
many arenas that memory stays resident. Measured under ``bench.bench_memory``
(20,000 entrants, 1,000,000 reads): the worker holds 173-177 MB with glibc's default
and 145-146 MB with two arenas. The reader settles tags on asyncio's thread pool
and commits reads on a thread of its own, next to sllurp's: four arenas of ~2 MB
each stayed resident, and it holds 52.6 MB with the default, 47.4 MB with two. The
web process keeps the default (it gained nothing measurable).
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8
"""mallopt's parameter number for the arena limit (glibc's malloc.h)."""
WORKER_ARENAS = 2
READER_ARENAS = 2


def limit_arenas(count: int) -> bool:
    """Let malloc use at most ``count`` arenas from now on; False where it cannot be set.

    Call it before the process starts threads. ``MALLOC_ARENA_MAX`` in the environment
    (an operator's choice, read by glibc at start) is left in force.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (or no C library to ask)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, count))


def give_back_free_memory() -> bool:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``).

    A results-cache round that made a 20,000-row document leaves its tens of MB freed
    but resident: glibc keeps them for the next allocation. Trimming after such a round
    lowered the worker by 16 MB (bench_memory's race, measured in-process: 145.7 ->
    129.7 MB). Returns whether memory was given back; False where it cannot be asked.
    """
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return False
    malloc_trim.argtypes = (ctypes.c_size_t,)
    malloc_trim.restype = ctypes.c_int
    return bool(malloc_trim(0))
