"""Fixtures of the deployment tests: the cached base rootfs, writable copies, the bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from ota.bundle import build_bundle
from ota.targets import get_target
from tests.e2e.rootfs import Rootfs, build_base, skip_unless_possible, writable_rootfs

ROOT = Path(__file__).resolve().parents[2]
HOST_TARGET = "linux-x86_64-cp311"


@pytest.fixture(scope="session")
def rootfs_base() -> Path:
    """The cached Debian bookworm base (built on first use, ~1 min)."""
    skip_unless_possible()
    return build_base()


@pytest.fixture
def make_rootfs(rootfs_base: Path, tmp_path: Path) -> Iterator[Callable[[str], Rootfs]]:
    """A factory of writable root filesystems (overlays of the base), removed afterwards."""
    with ExitStack() as stack:

        def make(name: str) -> Rootfs:
            return stack.enter_context(writable_rootfs(rootfs_base, tmp_path / name))

        yield make


@pytest.fixture(scope="session")
def host_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The x86-64 release bundle of this checkout (pip's cache makes it take seconds)."""
    skip_unless_possible()
    return build_bundle(ROOT, get_target(HOST_TARGET), tmp_path_factory.mktemp("bundle"))
