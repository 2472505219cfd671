"""The Pi's bundle on an arm64 Debian, without a Pi: build, verify, install offline, run.

``make arm64-check`` runs this (minutes: an arm64 rootfs is built through qemu-user
on first use and cached like the test rootfs). It prints the figures a release
note gives: bundle size, build and install times, the installed release's size.

    python -m tests.e2e.arm64 [--output DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ota.bundle import build_bundle
from ota.manifest import INSTALL_COMMAND
from ota.targets import get_target
from ota.verify import verify_bundle
from tests.e2e.rootfs import build_base, writable_rootfs

ROOT = Path(__file__).resolve().parents[2]
TARGET = "linux-aarch64-cp311"
PACKAGES = ("python3", "python3-venv")
BINFMT = Path("/proc/sys/fs/binfmt_misc")


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
        timed("chrono-edge --version and db upgrade", step)
        size = subprocess.run(
            ["du", "-sm", str(rootfs.file(release))], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        print(f"{printed} on {machine}; release venv {size} MB")
        print(upgraded.stdout.strip().splitlines()[-1] if upgraded.stdout.strip() else "")
    timed("total", started)


def main(argv: list[str]) -> int:
    """Parse the options and run the check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build")
    check(parser.parse_args(argv).output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
