"""Every path and command an update touches on a box: ``Layout``.

DESIGN.md's layout (the image, Ansible and OTA share it)::

    /opt/chronoedge/releases/<version>/   one release, a venv (read-only once installed)
    /opt/chronoedge/current -> releases/<version>    switched by renaming a new symlink
    /opt/chronoedge/previous -> releases/<version>   what a rollback returns to
    /etc/chronoedge/ota/root.json         the TUF root the box trusts first
    /var/lib/chronoedge/ota/              state.json (the installer's), request.json (the
                                          worker's), offer.json, operator.json, tuf/,
                                          downloads/, unpack/

Everything derives from the box's paths (``edge.paths.BoxPaths``) and the update
settings, so a test runs the real installer on a temporary layout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from edge.paths import BoxPaths
from ota.settings import OtaSettings

RELEASES = "releases"
CURRENT = "current"
PREVIOUS = "previous"


@dataclass(frozen=True)
class Layout:
    """Where releases, update state and the trusted root live, and how units restart."""

    settings: OtaSettings
    paths: BoxPaths

    @property
    def opt_dir(self) -> Path:
        """The releases' root (``/opt/chronoedge``)."""
        return self.settings.opt_dir

    @property
    def ota_dir(self) -> Path:
        """The update state's folder (``/var/lib/chronoedge/ota``)."""
        return self.paths.ota_folder

    @property
    def releases(self) -> Path:
        """The folder of installed releases."""
        return self.opt_dir / RELEASES

    @property
    def current(self) -> Path:
        """The symlink the units run from."""
        return self.opt_dir / CURRENT

    @property
    def previous(self) -> Path:
        """The symlink a rollback returns to."""
        return self.opt_dir / PREVIOUS

    def release(self, version: str) -> Path:
        """The folder of one release."""
        return self.releases / version

    @property
    def state_file(self) -> Path:
        """The installer's state (written by root only)."""
        return self.ota_dir / "state.json"

    @property
    def request_file(self) -> Path:
        """What the worker asks the installer to install."""
        return self.ota_dir / "request.json"

    @property
    def offer_file(self) -> Path:
        """The worker's view: last check, offer, download, last report."""
        return self.ota_dir / "offer.json"

    @property
    def operator_file(self) -> Path:
        """The operator's word from /setup: defer, or force with a reason."""
        return self.ota_dir / "operator.json"

    @property
    def downloads(self) -> Path:
        """Bundles on their way in (``.part`` while downloading)."""
        return self.paths.downloads_folder

    @property
    def unpack_dir(self) -> Path:
        """Where the installer unpacks a bundle before installing it."""
        return self.ota_dir / "unpack"

    @property
    def lock_file(self) -> Path:
        """Held by the installer while it runs: never two at once."""
        return self.ota_dir / "installer.lock"

    @property
    def trusted_root(self) -> Path:
        """The TUF root shipped with the box (Ansible or the image)."""
        return self.paths.config_dir / "ota" / "root.json"

    def tuf_dir(self, channel: str) -> Path:
        """The box's trusted TUF metadata of one channel."""
        return self.ota_dir / "tuf" / channel

    def box_environment(self) -> dict[str, str]:
        """The environment the units give the app (the role's chronoedge_box_environment)."""
        return os.environ | {
            "CHRONO_EDGE_DATA_DIR": str(self.paths.data_dir),
            "CHRONO_EDGE_CONFIG_DIR": str(self.paths.config_dir),
        }

    def linked_version(self, link: Path) -> str | None:
        """The release a symlink points to (``current`` or ``previous``), or None."""
        try:
            return Path(os.readlink(link)).name
        except OSError:
            return None
