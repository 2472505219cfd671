"""One recipe from a cached base to the three partition trees of a ChronoEdge box.

``prepare`` turns a copy of the base (image/base.py) into what a card carries:

- the root tree: the release bundle installed by the fleet's own Ansible role
  (``chronoedge_box`` in image-build mode, over the chroot connection), the image's
  units (first boot, enroll-pending) enabled, fstab by label, nothing unique
  (empty machine-id, no SSH host keys, no PIN, no password, no WireGuard key);
- the data tree (``/var/lib/chronoedge``, ``/etc/chronoedge`` and the journal), moved
  out of the root tree: it becomes its own ext4 partition, bind-mounted back;
- the boot tree (only where a kernel is): the Pi 4 firmware, kernel, initramfs,
  ``config.txt``, ``cmdline.txt`` (``root=LABEL=CHRONOROOT``) and ``chronoedge.txt``.

The fast test (tests/e2e/test_image_rootfs.py) runs this same function on the host's
architecture without a kernel; ``make image`` (image/build.py) runs it for arm64.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from image.base import Flavour

IMAGE_DIR = Path(__file__).resolve().parent
ROOT = IMAGE_DIR.parent
PLAYBOOK = IMAGE_DIR / "ansible" / "image.yml"
UNITS_DIR = IMAGE_DIR / "units"
BOOT_LABEL = "CHRONOBOOT"
ROOT_LABEL = "CHRONOROOT"
DATA_LABEL = "CHRONODATA"
DATA_MOUNT = "/data"
# What lives on the data partition (its folder there -> where it is bind-mounted).
DATA_BINDS = {
    "chronoedge": "/var/lib/chronoedge",
    "etc-chronoedge": "/etc/chronoedge",
    "journal": "/var/log/journal",
}
FSTAB = f"""\
# ChronoEdge (docs/image.md "What is on the card"): partitions by label, so the same
# card boots from any reader slot and a replaced system partition keeps the data.
LABEL={ROOT_LABEL}  /               ext4  defaults,noatime,errors=remount-ro  0  1
LABEL={BOOT_LABEL}  /boot/firmware  vfat  defaults,noatime,dmask=0022,fmask=0077,nofail  0  2
LABEL={DATA_LABEL}  {DATA_MOUNT}           ext4  defaults,noatime,commit=15  0  2
""" + "".join(
    f"{DATA_MOUNT}/{folder}  {target}  none  bind,x-systemd.requires-mounts-for={DATA_MOUNT}"
    "  0  0\n"
    for folder, target in DATA_BINDS.items()
)
# The root is checked at every boot by systemd-fsck-root after the initramfs mounted it
# read-only (`ro`), then remounted read-write: the base's initramfs holds no fsck (it was
# made before fstab named the root; the next one a kernel update makes does, and checks
# first). `ro` is initramfs-tools' default too; said here so no one drops it for `rw`.
# fsck.repair=yes: a box with nobody at its console repairs what preening cannot.
CMDLINE = (
    f"console=serial0,115200 console=tty1 root=LABEL={ROOT_LABEL} rootfstype=ext4 ro"
    " rootwait fsck.repair=yes net.ifnames=0\n"
)
CONFIG_TXT = """\
# ChronoEdge on a Raspberry Pi 4 (written by image/recipe.py; docs/image.md).
# Debian's kernel and device trees (upstream_kernel), 64-bit, serial console on the
# GPIO header (the setup PIN is printed there and on HDMI).
[all]
arm_64bit=1
upstream_kernel=1
enable_uart=1
disable_overscan=1
kernel={kernel}
initramfs {initramfs} followkernel
"""
POLICY_RC_D = "#!/bin/sh\n# Image build: no service starts inside the chroot.\nexit 101\n"
# Unique per box: never on a card (first boot makes them).
UNIQUE_FILES = (
    "etc/ssh/ssh_host_*",
    "var/lib/dbus/machine-id",
    "var/lib/systemd/random-seed",
    "var/lib/systemd/credential.secret",
)
# Build leftovers: apt's lists and caches (apt update remakes them), mmdebstrap's
# settings for this machine, logs of the build.
LEFTOVERS = (
    "etc/apt/apt.conf.d/99mmdebstrap",
    "etc/dpkg/dpkg.cfg.d/99mmdebstrap",
    "var/cache/apt/*.bin",
    "var/cache/apt/archives/*.deb",
    "var/lib/apt/lists/*_*",
    "var/cache/ldconfig/aux-cache",
    "var/log/*.log",
    "var/log/apt/*",
    "root/.ansible",
    "root/.cache",
    "tmp/*",
)
UNCONFIGURED = {"schema": 1, "role": "unconfigured"}


@dataclass(frozen=True)
class Trees:
    """The three trees of one card (boot is empty without a kernel)."""

    root: Path
    data: Path
    boot: Path


def prepare(
    trees: Trees, flavour: Flavour, bundle: Path, version: str, target: str, epoch: int
) -> None:
    """Turn the base copied at ``trees.root`` into a card's root, data and boot trees."""
    root = trees.root
    with chroot_session(root):
        apply_role(root, bundle, version, target, epoch)
        install_units(root)
    write_system_files(root)
    ship_unconfigured(root)
    split_data(root, trees.data)
    if flavour.kernel:
        split_boot(root, trees.boot)
    remove_leftovers(root)
    for tree in (trees.root, trees.data, trees.boot):
        clamp_mtimes(tree, epoch)


@contextmanager
def chroot_session(root: Path) -> Iterator[None]:
    """/proc, /run and /tmp mounted (unless they are) and service starts refused."""
    mounts: list[Path] = []
    policy = root / "usr/sbin/policy-rc.d"
    had_policy = policy.exists()
    try:
        for target, kind in (("proc", "proc"), ("run", "tmpfs"), ("tmp", "tmpfs")):
            where = root / target
            if not os.path.ismount(where):
                subprocess.run(["mount", "-t", kind, kind, str(where)], check=True)
                mounts.append(where)
        (root / "run/lock").mkdir(exist_ok=True)
        if not had_policy:
            policy.write_text(POLICY_RC_D)
            policy.chmod(0o755)
        yield
    finally:
        if not had_policy:
            policy.unlink(missing_ok=True)
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)


def apply_role(root: Path, bundle: Path, version: str, target: str, epoch: int) -> None:
    """ansible-playbook image/ansible/image.yml on ``root`` (role chronoedge_box, image mode)."""
    bindir = Path(sys.executable).parent
    inventory = {
        "all": {
            "hosts": {
                "image": {
                    "ansible_connection": "community.general.chroot",
                    "ansible_host": str(root),
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "chronoedge_image_build": True,
                    "chronoedge_bundle": str(bundle),
                    "chronoedge_version": version,
                    "chronoedge_target": target,
                }
            }
        }
    }
    inventory_file = root.parent / f"{root.name}-inventory.json"
    inventory_file.write_text(json.dumps(inventory))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible" / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(ROOT / "ansible" / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        # pip's byte-compilation inside the chroot: hash-checked .pyc, no build time.
        "SOURCE_DATE_EPOCH": str(epoch),
    }
    try:
        done = subprocess.run(
            [str(bindir / "ansible-playbook"), str(PLAYBOOK), "-i", str(inventory_file)],
            cwd=ROOT / "ansible",
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    finally:
        inventory_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed:\n{(done.stdout + done.stderr)[-6000:]}")


def install_units(root: Path) -> None:
    """The image's own units (first boot, enroll-pending), installed and enabled."""
    units = sorted(UNITS_DIR.glob("*.service"))
    for unit in units:
        shutil.copyfile(unit, root / "etc/systemd/system" / unit.name)
    if units:
        chroot(root, "systemctl", "enable", *(unit.name for unit in units))
    # Debian's own service that would make host keys at first boot if they are
    # missing does not exist; first boot makes them. Keep sshd from racing it.
    chroot(root, "systemctl", "enable", "ssh.service", "avahi-daemon.service", "chrony.service")


def write_system_files(root: Path) -> None:
    """fstab by label, the data partition's mount points, a neutral host name."""
    (root / "etc/fstab").write_text(FSTAB)
    (root / DATA_MOUNT.lstrip("/")).mkdir(exist_ok=True)
    (root / "boot/firmware").mkdir(parents=True, exist_ok=True)
    # First boot names the box chrono-<serial tail>; until then every card is "chrono".
    (root / "etc/hostname").write_text("chrono\n")
    (root / "etc/hosts").write_text(
        "127.0.0.1\tlocalhost\n127.0.1.1\tchrono\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    )
    # initramfs-tools is back to Debian's default: a kernel update makes a new one.
    conf = root / "etc/initramfs-tools/update-initramfs.conf"
    if conf.exists():
        conf.write_text("update_initramfs=yes\nbackup_initramfs=no\n")


def ship_unconfigured(root: Path) -> None:
    """Every card identical: an unconfigured reader.json, nothing that identifies a box."""
    config = root / "etc/chronoedge"
    config.mkdir(parents=True, exist_ok=True)
    reader = config / "reader.json"
    # The role writes the minimal form in image-build mode (no device_id: every card
    # would share it); anything else here is a role that forgot it.
    if not reader.exists() or json.loads(reader.read_text()) != UNCONFIGURED:
        raise RuntimeError(f"the role shipped no unconfigured reader.json: {reader}")
    # systemd makes the machine id at boot when the file is empty (and first boot commits it).
    (root / "etc/machine-id").write_text("")
    for pattern in UNIQUE_FILES:
        for path in root.glob(pattern):
            path.unlink()
    for secret in ("setup-pin", "admin.json", "wg0.key", "wg0.conf"):
        for folder in ("etc/chronoedge", "var/lib/chronoedge"):
            with suppress(FileNotFoundError):
                (root / folder / secret).unlink()


def split_data(root: Path, data: Path) -> None:
    """Move the box's state out of the root tree; leave empty mount points of the same mode."""
    data.mkdir(parents=True, exist_ok=True)
    (root / "var/log/journal").mkdir(exist_ok=True)
    for folder, target in DATA_BINDS.items():
        source = root / target.lstrip("/")
        destination = data / folder
        shutil.rmtree(destination, ignore_errors=True)
        subprocess.run(["cp", "-a", str(source), str(destination)], check=True)
        for child in source.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def split_boot(root: Path, boot: Path) -> None:
    """The FAT partition's files: firmware, kernel, initramfs and the config around them."""
    firmware = root / "boot/firmware"
    boot.mkdir(parents=True, exist_ok=True)
    for item in firmware.iterdir():
        shutil.move(str(item), boot / item.name)
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise RuntimeError("no kernel in /boot: the base was built without one")
    release = kernels[-1].name.removeprefix("vmlinuz-")
    initrd = root / "boot" / f"initrd.img-{release}"
    if not initrd.exists():
        raise RuntimeError(f"no initramfs for {release}: update-initramfs did not run")
    shutil.copyfile(kernels[-1], boot / f"vmlinuz-{release}")
    shutil.copyfile(initrd, boot / f"initrd.img-{release}")
    # Pi 4 B, Pi 400 and CM4 (bcm2711-*), from the kernel's own device trees.
    for dtb in (root / "usr/lib" / f"linux-image-{release}" / "broadcom").glob("bcm2711-*.dtb"):
        shutil.copyfile(dtb, boot / dtb.name)
    (boot / "config.txt").write_text(
        CONFIG_TXT.format(kernel=f"vmlinuz-{release}", initramfs=f"initrd.img-{release}")
    )
    (boot / "cmdline.txt").write_text(CMDLINE)
    template = IMAGE_DIR / "chronoedge.txt"
    if template.exists():
        shutil.copyfile(template, boot / "chronoedge.txt")


def remove_leftovers(root: Path) -> None:
    """What the build leaves that a card should not carry."""
    for pattern in LEFTOVERS:
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def clamp_mtimes(tree: Path, epoch: int) -> None:
    """No file newer than SOURCE_DATE_EPOCH: two builds give the same trees."""
    if tree.exists():
        subprocess.run(
            ["find", str(tree), "-xdev", "-newermt", f"@{epoch}", "-exec",
             "touch", "--no-dereference", f"--date=@{epoch}", "{}", "+"],
            check=True,
        )  # fmt: skip


def chroot(root: Path, *command: str) -> str:
    """Run ``command`` inside ``root``; raise with its output if it fails."""
    done = subprocess.run(
        ["chroot", str(root), *command],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout
