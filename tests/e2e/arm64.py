"""The Pi's bundle on an arm64 Debian, without a Pi: build, verify, install offline, run.

``make arm64-check`` runs this (minutes: an arm64 rootfs is built through qemu-user
on first use and cached like the test rootfs). It prints the figures a release
note gives: bundle size, build and install times, the installed release's size. It also
opens a GPIO chip through lgpio (gpiozero's pin factory on a Pi) as an unprivileged user.

    python -m tests.e2e.arm64 [--output DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ota.bundle import build_bundle
from ota.manifest import INSTALL_COMMAND
from ota.targets import get_target
from ota.verify import verify_bundle
from tests.e2e.rootfs import Rootfs, build_base, writable_rootfs

ROOT = Path(__file__).resolve().parents[2]
TARGET = "linux-aarch64-cp311"
PACKAGES = ("python3", "python3-venv")
BINFMT = Path("/proc/sys/fs/binfmt_misc")
# gpiozero's first pin factory on a Pi. A chroot has no GPIO chip: opening one must fail
# the way lgpio reports it, which shows its C library is there and runs.
LGPIO_PROBE = """
import lgpio, _lgpio
try:
    handle = lgpio.gpiochip_open(0)
except lgpio.error as error:
    print(f"lgpio {lgpio.get_module_version()}: gpiochip0: {error}")
else:
    print(f"lgpio {lgpio.get_module_version()}: {lgpio.gpio_get_chip_info(handle)}")
print(_lgpio.__file__)
"""
# What lgpio's extension may link to: the C library only (lgpio itself is linked in;
# Debian bookworm has no liblgpio).
LGPIO_LIBRARIES = {"libc.so.6"}


def enable_qemu_aarch64() -> None:
    """Make the kernel run arm64 programs through qemu-user (mount binfmt_misc, enable)."""
    if not (BINFMT / "status").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    entry = BINFMT / "qemu-aarch64"
    if not entry.exists() or "enabled" not in entry.read_text().splitlines()[0]:
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], check=True)


def timed(label: str, started: float) -> float:
    """Print how long a step took since ``started``; the time now."""
    now = time.monotonic()
    print(f"{label}: {now - started:.0f} s", flush=True)
    return now


def check(output: Path) -> None:
    """Build, verify and install the aarch64 bundle in an arm64 rootfs; print figures."""
    enable_qemu_aarch64()
    started = time.monotonic()
    bundle = build_bundle(ROOT, get_target(TARGET), output)
    print(f"bundle: {bundle} ({bundle.stat().st_size / 1e6:.1f} MB)")
    step = timed("bundle built", started)
    manifest = verify_bundle(bundle, TARGET)
    step = timed(f"verified ({len(manifest.files)} files)", step)
    base = build_base(PACKAGES, arch="arm64")
    step = timed(f"arm64 rootfs {base.name}", step)
    with tempfile.TemporaryDirectory() as work, writable_rootfs(base, Path(work)) as rootfs:
        rootfs.run("uname", "-m")  # fails unless qemu-user runs arm64 binaries
        unpacked = rootfs.file("/var/lib/chronoedge/ota/bundles") / manifest.version
        unpacked.mkdir(parents=True)
        subprocess.run(["tar", "-xf", str(bundle), "-C", str(unpacked)], check=True)
        release = f"/opt/chronoedge/releases/{manifest.version}"
        rootfs.run("python3", "-m", "venv", release)
        inside = f"/var/lib/chronoedge/ota/bundles/{manifest.version}"
        pip, *arguments = INSTALL_COMMAND.split()
        install = f"cd {inside} && {release}/bin/{pip} --isolated {' '.join(arguments)}"
        rootfs.run("sh", "-c", install, timeout_s=1800)
        step = timed("installed offline under qemu-user", step)
        printed = rootfs.run(f"{release}/bin/chrono-edge", "--version").stdout.strip()
        if manifest.version not in printed:
            raise SystemExit(f"chrono-edge --version printed {printed!r}, not {manifest.version}")
        machine = rootfs.run(
            f"{release}/bin/python", "-c", "import platform; print(platform.machine())"
        ).stdout.strip()
        upgraded = rootfs.run(f"{release}/bin/chrono-edge", "--db", "/tmp/edge.db", "db", "upgrade")
        step = timed("chrono-edge --version and db upgrade", step)
        lgpio = check_lgpio(rootfs, release)
        timed(f"{lgpio} (as nobody)", step)
        size = subprocess.run(
            ["du", "-sm", str(rootfs.file(release))], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        print(f"{printed} on {machine}; release venv {size} MB")
        print(upgraded.stdout.strip().splitlines()[-1] if upgraded.stdout.strip() else "")
    timed("total", started)


def check_lgpio(rootfs: Rootfs, release: str) -> str:
    """lgpio imports and opens chips as an unprivileged user; its extension needs only libc."""
    # lgpio makes a FIFO in LG_WD at import (the panel unit points it at its /run folder).
    done = rootfs.run(
        f"{release}/bin/python", "-c", LGPIO_PROBE, user="nobody", env={"LG_WD": "/tmp"}
    )
    opened, extension = done.stdout.strip().splitlines()
    if "can not open gpiochip" not in opened and "gpiochip0" not in opened:
        raise SystemExit(f"lgpio did not try the chip: {opened}")
    dynamic = subprocess.run(
        ["readelf", "-d", str(rootfs.file(extension))], capture_output=True, text=True, check=True
    ).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    if not needed <= LGPIO_LIBRARIES:
        raise SystemExit(f"{extension} needs {sorted(needed - LGPIO_LIBRARIES)} besides libc")
    return opened


def main(argv: list[str]) -> int:
    """Parse the options and run the check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build")
    check(parser.parse_args(argv).output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
