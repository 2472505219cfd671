"""A rootfs box as its units run it: the systemctl stand-in, unit logs, the box's CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from tests.e2e.rootfs import Rootfs

STANDIN = Path(__file__).with_name("systemctl_standin.py")


def install_standin(rootfs: Rootfs) -> None:
    """Put systemctl_standin.py over the rootfs's /usr/bin/systemctl (real one: systemctl.real)."""
    systemctl = rootfs.file("/usr/bin/systemctl")
    real = rootfs.file("/usr/bin/systemctl.real")
    if not real.exists():
        systemctl.rename(real)
    shutil.copyfile(STANDIN, systemctl)
    systemctl.chmod(0o755)


def unit_log(rootfs: Rootfs, unit: str) -> str:
    """What a unit started by the stand-in has printed so far."""
    name = unit if "." in unit else f"{unit}.service"
    log = rootfs.file(f"/run/standin/{name}.log")
    return log.read_text(errors="replace") if log.exists() else ""


CLI = "/opt/chronoedge/current/bin/chrono-edge"
BOX_ENV = {
    "CHRONO_EDGE_DATA_DIR": "/var/lib/chronoedge",
    "CHRONO_EDGE_CONFIG_DIR": "/etc/chronoedge",
}
"""The environment the box's units give the app (role chronoedge_box, vars/main.yml)."""


def box_cli(box: Rootfs, *args: str, netns: str | None = None) -> str:
    """``chrono-edge ARGS`` on the box, as the units run it (user chronoedge, their paths)."""
    return box.run(CLI, *args, user="chronoedge", env=BOX_ENV, netns=netns).stdout


def assert_enabled(box: Rootfs, units: Iterable[str]) -> None:
    """Every one of ``units`` (names without .service) is enabled in the rootfs."""
    for unit in units:
        enabled = box.run("systemctl", "is-enabled", f"{unit}.service", check=False)
        assert enabled.stdout.strip() == "enabled", (unit, enabled.stdout, enabled.stderr)


def assert_verified(box: Rootfs, units: Iterable[str]) -> None:
    """systemd itself accepts each of our units in /etc/systemd/system (no complaint about them)."""
    verify = box.run(
        "systemd-analyze", "verify", *(f"/etc/systemd/system/{u}.service" for u in units),
        check=False,
    )  # fmt: skip
    ours = [line for line in verify.stderr.splitlines() if "chronoedge" in line]
    assert ours == [], verify.stderr
