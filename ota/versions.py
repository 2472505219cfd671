"""Ordering release versions, so a box never goes back to an older one by itself.

The versions ChronoEdge publishes: ``X.Y.Z`` (any number of parts) with an optional
pre-release ``aN``, ``bN`` or ``rcN`` (PEP 440's order: 0.2.0a1 < 0.2.0b1 < 0.2.0rc1
< 0.2.0). Anything else is refused rather than guessed at.
"""

from __future__ import annotations

import re

from ota.errors import UpdateRefused

_VERSION = re.compile(r"^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?$")
_STAGES = {"a": 0, "b": 1, "rc": 2, None: 3}


def version_key(version: str) -> tuple[tuple[int, ...], int, int]:
    """A key that sorts versions in release order."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise UpdateRefused(f"version {version!r} is not a release version (X.Y.Z, aN/bN/rcN)")
    release = tuple(int(part) for part in match[1].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]  # 0.2 == 0.2.0
    return release, _STAGES[match[2]], int(match[3] or 0)


def is_newer(candidate: str, running: str) -> bool:
    """Whether ``candidate`` comes after ``running``."""
    return version_key(candidate) > version_key(running)
