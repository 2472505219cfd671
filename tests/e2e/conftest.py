"""Fixtures of the deployment tests: the cached base rootfs, writable copies, the bundle,
and a box installed once by boxes.yml that later tests start from."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from ota.bundle import build_bundle
from ota.targets import get_target
from tests.e2e.playbooks import PlayRun, chroot_host, run_playbook, write_inventory
from tests.e2e.rootfs import Rootfs, build_base, skip_unless_possible, writable_rootfs

ROOT = Path(__file__).resolve().parents[2]
HOST_TARGET = "linux-x86_64-cp311"
BOX_WEB_PORT = 18080


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


def bundle_version(bundle: Path) -> str:
    """The version in a bundle's name: chronoedge-<version>-<target>.tar."""
    return bundle.name.removeprefix("chronoedge-").split("-linux-")[0]


def box_host(root: Path, bundle: Path, **variables: object) -> dict[str, object]:
    """Inventory variables of a rootfs box installed from ``bundle`` (image-build mode)."""
    return chroot_host(
        root,
        chronoedge_image_build=True,
        chronoedge_bundle=str(bundle),
        chronoedge_target=HOST_TARGET,
        chronoedge_version=bundle_version(bundle),
        chronoedge_web_port=BOX_WEB_PORT,
        **variables,
    )


@dataclass(frozen=True)
class InstalledBox:
    """A box boxes.yml installed once: its overlay layer and that first run."""

    layer: Path
    first_run: PlayRun
    first_run_s: float
    version: str


@pytest.fixture(scope="session")
def installed_box(
    rootfs_base: Path, host_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> InstalledBox:
    """boxes.yml applied once to a fresh rootfs (image-build mode), kept as an overlay layer.

    Installing a release is the slow part of a play (pip, offline); the tests of the
    playbooks that act on an installed box start from this layer instead of redoing it.
    """
    work = tmp_path_factory.mktemp("installed-box")
    with writable_rootfs(rootfs_base, work / "fs") as box:
        inventory = write_inventory(
            work / "hosts.yml", {"boxes": {"box": box_host(box.path, host_bundle)}}
        )
        started = time.monotonic()
        first = run_playbook("boxes.yml", inventory)
        elapsed = time.monotonic() - started
    return InstalledBox(work / "fs" / "upper", first, elapsed, bundle_version(host_bundle))


@pytest.fixture
def make_box(
    rootfs_base: Path, installed_box: InstalledBox, tmp_path: Path
) -> Iterator[Callable[[str], Rootfs]]:
    """A factory of writable boxes as boxes.yml left them (overlays of the installed layer)."""
    with ExitStack() as stack:

        def make(name: str) -> Rootfs:
            layers = [installed_box.layer]
            return stack.enter_context(writable_rootfs(rootfs_base, tmp_path / name, layers))

        yield make
