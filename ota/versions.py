"""Ordering release versions (PEP 440, ``packaging``), so a box never goes back by itself."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from ota.errors import UpdateRefused


def is_newer(candidate: str, running: str) -> bool:
    """Whether ``candidate`` comes after ``running``; a version that is not PEP 440 is refused."""
    try:
        return Version(candidate) > Version(running)
    except InvalidVersion as error:
        raise UpdateRefused(f"{error}: not a release version") from None
