"""A rootfs "box" with a release installed on DESIGN.md's layout, without the box role.

The playbooks that act on an installed box (event.yml, status.yml) are tested on
rootfs boxes that hold what role chronoedge_box leaves: the ``chronoedge`` user,
/etc/chronoedge, /var/lib/chronoedge, a release venv in /opt/chronoedge/releases/
<version> (installed offline from the bundle, as ota/manifest.py INSTALL_COMMAND
says) and the ``current`` symlink. The venv is built once per bundle and copied into
each later box (same absolute path in every rootfs, so the copy runs as is).
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from ota.manifest import INSTALL_COMMAND, MANIFEST_NAME, Manifest
from tests.e2e.rootfs import Rootfs

RELEASES = "/opt/chronoedge/releases"
CLI = "/opt/chronoedge/current/bin/chrono-edge"
BOX_ENV = {
    "CHRONO_EDGE_DATA_DIR": "/var/lib/chronoedge",
    "CHRONO_EDGE_CONFIG_DIR": "/etc/chronoedge",
}


def bundle_version(bundle: Path) -> str:
    """The release version the bundle's manifest names."""
    with tarfile.open(bundle) as archive:
        member = archive.extractfile(MANIFEST_NAME)
        assert member is not None, f"{bundle} has no {MANIFEST_NAME}"
        return Manifest.from_json(member.read()).version


def install_release(box: Rootfs, bundle: Path) -> str:
    """Give ``box`` the user, folders and the bundle's release as ``current``; its version."""
    version = bundle_version(bundle)
    box.run("useradd", "--system", "--user-group", "--home-dir", "/var/lib/chronoedge",
            "--shell", "/usr/sbin/nologin", "chronoedge")  # fmt: skip
    # The group writes the folder: reader.json is replaced atomically (temp file, rename).
    box.run("install", "-d", "-o", "root", "-g", "chronoedge", "-m", "0770", "/etc/chronoedge")
    box.run("install", "-d", "-o", "chronoedge", "-g", "chronoedge", "-m", "0750",
            "/var/lib/chronoedge")  # fmt: skip
    release = box.file(f"{RELEASES}/{version}")
    cached = bundle.parent / f"release-{version}"
    release.parent.mkdir(parents=True, exist_ok=True)
    if not cached.is_dir():
        _build_venv(box, bundle, version)
        subprocess.run(["cp", "-a", str(release), str(cached)], check=True)
    else:
        subprocess.run(["cp", "-a", str(cached), str(release)], check=True)
    box.file("/opt/chronoedge/current").symlink_to(f"releases/{version}")
    return version


def _build_venv(box: Rootfs, bundle: Path, version: str) -> None:
    unpacked = box.file("/tmp/bundle")
    unpacked.mkdir()
    with tarfile.open(bundle) as archive:
        archive.extractall(unpacked, filter="data")
    venv = f"{RELEASES}/{version}"
    box.run("python3", "-m", "venv", venv)
    pip, *arguments = INSTALL_COMMAND.split()
    box.run("sh", "-c", f"cd /tmp/bundle && {venv}/bin/{pip} --isolated {' '.join(arguments)}")


def box_cli(box: Rootfs, *args: str, netns: str | None = None) -> str:
    """``chrono-edge ARGS`` on the box, as the units run it (user chronoedge, their paths)."""
    return box.run(CLI, *args, user="chronoedge", env=BOX_ENV, netns=netns).stdout
