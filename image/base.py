"""The image's Debian base: bookworm from Debian's own packages, built by mmdebstrap, cached.

One recipe for two flavours: the real image (arm64, with the kernel and the Pi 4's
firmware, built through qemu-user) and a rootfs of the machine's own architecture
without kernel (``--no-kernel``). The CI test (tests/e2e/test_image_rootfs.py) does not
build a second base: ``PACKAGES`` is part of the e2e tests' shared base
(tests/e2e/rootfs.PACKAGES), so the box those tests install once per session holds
every package of the image and the recipe runs on it.

A base is built once per (suite, architecture, package list, hooks) and kept under
``CHRONO_IMAGE_CACHE`` (default ``~/.cache/chronoedge/image``); a build copies it.

    python -m image.base [--arch arm64] [--no-kernel]   # build (or find) a base; print it
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUITE = "bookworm"
# The machine's own apt sources carry only `main`; raspi-firmware and the Pi's Wi-Fi
# firmware are in `non-free-firmware`, so the image names its mirrors itself.
MIRRORS = (
    f"deb http://deb.debian.org/debian {SUITE} main non-free-firmware",
    f"deb http://deb.debian.org/debian {SUITE}-updates main non-free-firmware",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main non-free-firmware",
)
# Every box, whatever boots it. No recommends (mmdebstrap's apt variant): each is named.
PACKAGES = (
    "acl",  # Ansible's become to an unprivileged user
    "avahi-daemon",  # chrono-<serial>.local on the LAN
    "ca-certificates",
    "chrony",  # no RTC on a Pi: NTP as soon as there is a network
    "cloud-guest-utils",  # growpart: the data partition grown to the card at first boot
    "dbus",
    "dosfstools",  # fsck of the FAT boot partition
    "e2fsprogs",  # resize2fs
    "fake-hwclock",  # a clock that never goes back before the last shutdown
    "fdisk",  # sfdisk, which growpart drives
    "iproute2",
    "kmod",
    "libpam-systemd",
    "network-manager",  # Ethernet by DHCP, Wi-Fi from chronoedge.txt (keyfile)
    "openssh-server",
    "polkitd",  # the front panel's long-press poweroff (logind asks polkit)
    "python3",
    "python3-venv",
    "sudo",
    "systemd",
    "systemd-sysv",
    "tzdata",  # chronoedge.txt's time zone, checked against /usr/share/zoneinfo
    "udev",
    "wireguard-tools",
    "wpasupplicant",
)
# Only where a kernel boots: the Pi 4's kernel, firmware/bootloader and Wi-Fi firmware.
KERNEL_PACKAGES = (
    "firmware-brcm80211",
    "initramfs-tools",
    "linux-image-arm64",
    "raspi-firmware",
    "wireless-regdb",
)
INITRAMFS_CONF = "/etc/initramfs-tools/update-initramfs.conf"
# Under qemu-user one initramfs takes 15+ minutes and the kernel's install would make it
# twice (postinst, then a trigger): the trigger's run is turned off while packages install.
SETUP_HOOK = (
    'mkdir -p "$1/etc/initramfs-tools" "$1/boot/firmware"'
    f' && printf "update_initramfs=no\\n" > "$1{INITRAMFS_CONF}"'
)
# update_initramfs=no stops the trigger's run, not the kernel postinst's `-c`: that one
# still makes the initramfs once (checked: update-initramfs's create() ignores the
# setting). The hook makes it only if none exists, then gives Debian's default back.
INITRAMFS_HOOK = (
    f'sed -i "s/^update_initramfs=.*/update_initramfs=yes/" "$1{INITRAMFS_CONF}"'
    ' && { ls "$1"/boot/initrd.img-* >/dev/null 2>&1 || chroot "$1" update-initramfs -c -k all; }'
)
BUILD_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Flavour:
    """What a base is for: a Debian architecture, with or without a bootable kernel."""

    arch: str
    kernel: bool

    @property
    def packages(self) -> tuple[str, ...]:
        """The packages mmdebstrap installs."""
        return tuple(sorted(PACKAGES + (KERNEL_PACKAGES if self.kernel else ())))

    @property
    def hooks(self) -> tuple[str, ...]:
        """mmdebstrap's hook options (the initramfs is only made where a kernel is)."""
        hooks = [f"--setup-hook={SETUP_HOOK}"]
        if self.kernel:
            hooks.append(f"--customize-hook={INITRAMFS_HOOK}")
        return tuple(hooks)

    def command(self, target: Path) -> list[str]:
        """The mmdebstrap command that builds this base into ``target``."""
        return [
            "mmdebstrap",
            "--variant=apt",
            "--mode=root",
            f"--arch={self.arch}",
            f"--include={','.join(self.packages)}",
            # The hook's update-initramfs.conf predates the package: keep it.
            "--dpkgopt=force-confdef",
            "--dpkgopt=force-confold",
            # This machine's clock may be past a Release file's Valid-Until.
            '--aptopt=Acquire::Check-Valid-Until "false"',
            *self.hooks,
            SUITE,
            str(target),
            *MIRRORS,
        ]

    def key(self) -> str:
        """The cache key: everything that changes what mmdebstrap makes."""
        text = "\n".join(self.command(Path("/")))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """The cached base's folder name."""
        return f"{SUITE}-{self.arch}-{'kernel' if self.kernel else 'nokernel'}-{self.key()}"


def host_arch() -> str:
    """This machine's Debian architecture (amd64 here)."""
    done = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def cache_dir() -> Path:
    """Where built bases are kept between builds."""
    configured = os.environ.get("CHRONO_IMAGE_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "chronoedge" / "image"


def build_base(flavour: Flavour, log: Path | None = None) -> Path:
    """The cached base of ``flavour``, built now if there is none (one builder at a time)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / flavour.name
    with locked(root / f".lock-{final.name}"):
        if final.is_dir():
            return final
        partial = root / f".partial-{final.name}"
        shutil.rmtree(partial, ignore_errors=True)
        log = log or root / f"{final.name}.log"
        with log.open("w") as output:
            done = subprocess.run(
                flavour.command(partial),
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=BUILD_TIMEOUT_S,
                check=False,
            )
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            tail = log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"mmdebstrap failed ({done.returncode}), log {log}:\n{tail}")
        partial.rename(final)
        return final


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (two builds never make the same base at once)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main(argv: list[str]) -> int:
    """Build (or find) one base and print its path and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="", help="Debian architecture (default: this one)")
    parser.add_argument("--no-kernel", action="store_true", help="no kernel or firmware")
    options = parser.parse_args(argv)
    flavour = Flavour(options.arch or host_arch(), kernel=not options.no_kernel)
    started = time.monotonic()
    path = build_base(flavour)
    print(f"{path} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
