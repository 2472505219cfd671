"""The platforms a release bundle is built for, and the wheel tags each one accepts."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass

from ota.errors import UnknownTarget

# The locks are compiled for manylinux_2_28 (uv --python-platform ...-manylinux_2_28):
# the bundle accepts the same range, so pip picks a wheel the lock's resolution saw.
# Debian bookworm (the box and central) has glibc 2.36, above that floor.
GLIBC_NEWEST_MINOR = 28
GLIBC_OLDEST_MINOR = 17


@dataclass(frozen=True)
class Target:
    """One bundle target: an operating system, a CPU architecture and a CPython version."""

    name: str
    arch: str
    python_version: str
    abi: str

    @property
    def abis(self) -> tuple[str, ...]:
        """The ABI tags a wheel for this target may carry."""
        return (self.abi, "abi3", "none")

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platform tags given to ``pip download --platform``, newest first."""
        manylinux = tuple(
            f"manylinux_2_{minor}_{self.arch}"
            for minor in range(GLIBC_NEWEST_MINOR, GLIBC_OLDEST_MINOR - 1, -1)
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
        return any(
            tag == "any" or (tag.startswith("manylinux") and tag.endswith(f"_{self.arch}"))
            for tag in platform_tags
        )


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target("linux-aarch64-cp311", "aarch64", "3.11", "cp311"),
        Target("linux-x86_64-cp311", "x86_64", "3.11", "cp311"),
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
