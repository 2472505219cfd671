"""The platforms a release bundle is built for, and the wheel tags each one accepts."""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass

from ota.errors import UnknownTarget

# Each target's locks are resolved for one manylinux level (uv --python-platform
# <arch>-manylinux_2_<glibc_minor>, Makefile PLATFORM_*): the bundle accepts the same
# range, so pip picks a wheel the lock's resolution saw, and never one that needs a
# newer glibc than the target has. The oldest level pip is given:
GLIBC_OLDEST_MINOR = 17
_MANYLINUX = re.compile(r"manylinux(?:_2_(?P<minor>\d+)|(?P<legacy>1|2010|2014))_(?P<arch>\w+)")
# The glibc (2.x) the legacy tags stand for (PEP 600).
_LEGACY_GLIBC = {"1": 5, "2010": 12, "2014": 17}


@dataclass(frozen=True)
class Target:
    """One bundle target: an operating system, a CPU architecture and a CPython version."""

    name: str
    arch: str
    python_version: str
    abi: str
    glibc_minor: int  # the newest glibc (2.x) a wheel for this target may need

    @property
    def abis(self) -> tuple[str, ...]:
        """The ABI tags a wheel for this target may carry."""
        return (self.abi, "abi3", "none")

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platform tags given to ``pip download --platform``, newest first."""
        manylinux = tuple(
            f"manylinux_2_{minor}_{self.arch}"
            for minor in range(self.glibc_minor, GLIBC_OLDEST_MINOR - 1, -1)
        )
        # pip expands manylinux2014 into the legacy manylinux2010/manylinux1 aliases too.
        return (*manylinux, f"manylinux2014_{self.arch}")

    def accepts(self, wheel_name: str) -> bool:
        """Whether a wheel file name's ABI and platform tags run on this target."""
        stem = wheel_name.removesuffix(".whl")
        parts = stem.split("-")
        if len(parts) < 5:
            return False
        abi_tags = parts[-2].split(".")
        platform_tags = parts[-1].split(".")
        if not any(tag in self.abis for tag in abi_tags):
            return False
        return any(tag == "any" or self._runs_manylinux(tag) for tag in platform_tags)

    def _runs_manylinux(self, tag: str) -> bool:
        """Whether a manylinux platform tag is for this CPU and at most its glibc."""
        match = _MANYLINUX.fullmatch(tag)
        if match is None or match["arch"] != self.arch:
            return False
        minor = int(match["minor"]) if match["minor"] else _LEGACY_GLIBC[match["legacy"]]
        return minor <= self.glibc_minor


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        # A box runs the image's Debian bookworm (glibc 2.36); lgpio, which gpiozero
        # drives the Pi's pins with, publishes its aarch64 wheels for manylinux_2_34 only.
        Target("linux-aarch64-cp311", "aarch64", "3.11", "cp311", glibc_minor=36),
        # Central and the tests: unchanged since the first locks (no wheel needs more).
        Target("linux-x86_64-cp311", "x86_64", "3.11", "cp311", glibc_minor=28),
    )
}


def get_target(name: str) -> Target:
    """Return the target called ``name``, or raise :class:`UnknownTarget`."""
    try:
        return TARGETS[name]
    except KeyError:
        raise UnknownTarget(
            f"unknown target {name!r}: use one of {', '.join(sorted(TARGETS))}"
        ) from None


def host_target() -> str:
    """The target of the machine this runs on (``linux-aarch64-cp311`` on a Pi)."""
    major, minor = sys.version_info[:2]
    return f"{platform.system().lower()}-{platform.machine()}-cp{major}{minor}"
