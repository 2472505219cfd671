"""``make image-test``: build the real arm64 image, check its boot partition, boot it in QEMU.

    python -m image.check [--output build] [--image IMG] [--console-log FILE]

The boot partition is read with mtools (no mount, no loop device): it must hold what a
Pi 4 needs and a config.txt that names its kernel and initramfs. Then the image's own
kernel, initramfs and cmdline.txt boot its root file system in ``qemu-system-aarch64 -M
virt`` (QEMU 7.2 has no Pi 4 machine) on a copy of the disk, with user-mode networking
and port 80 forwarded to the host; the host waits for /healthz, then reads /setup, and
the console must show the root's fsck and the PIN first boot printed. Prints build
time, sizes, boot-to-/healthz; keeps the serial console beside the image.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from image.build import build
from image.recipe import ROOT, ROOT_LABEL

PI4_FILES = ("start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "config.txt", "cmdline.txt")
BOOT_TIMEOUT_S = 1200
SETUP_TIMEOUT_S = 300
MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}
# QEMU boots the image's own cmdline.txt with virt's serial port for the Pi's consoles,
# and the journal on that console too: once the login prompt is up systemd prints no
# more unit status there, and the units' own logs (the web app's start, a crash, the
# root's fsck) are what a check needs to show.
QEMU_CONSOLE = "console=ttyAMA0"
QEMU_EXTRA = "systemd.journald.forward_to_console=1"
PIN = re.compile(r"setup PIN[^0-9]*(\d{6,8})")
# e2fsck names a labelled file system by its label: "CHRONOROOT: clean, 1/2 files, ..."
# when nothing needed fixing, "CHRONOROOT: 1/2 files ..." after preening.
ROOT_FSCK = re.compile(rf"^.*{ROOT_LABEL}: (?:clean, )?\d+/\d+ files.*$", re.MULTILINE)


def boot_offset(image: Path) -> int:
    """Byte offset of the first (FAT boot) partition."""
    table = json.loads(
        subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, check=True).stdout
    )["partitiontable"]
    return int(table["partitions"][0]["start"]) * int(table.get("sectorsize", 512))


def fat(image: Path, offset: int, *args: str) -> str:
    """An mtools command on the image's FAT partition (``::`` is its root)."""
    done = subprocess.run(
        [args[0], "-i", f"{image}@@{offset}", *args[1:]],
        capture_output=True, text=True, check=True, env=MTOOLS_ENV,
    )  # fmt: skip
    return done.stdout


def check_boot_partition(image: Path, into: Path) -> tuple[Path, Path, str]:
    """Fail unless the boot partition is complete; copy out its kernel, initramfs, cmdline."""
    offset = boot_offset(image)
    listing = fat(image, offset, "mdir", "-b", "::")
    names = {line.removeprefix("::/").strip() for line in listing.splitlines()}
    missing = [name for name in PI4_FILES if name not in names]
    config = fat(image, offset, "mtype", "::config.txt")
    kernel = re.search(r"^kernel=(\S+)", config, re.MULTILINE)
    initramfs = re.search(r"^initramfs (\S+)", config, re.MULTILINE)
    if not kernel or not initramfs:
        raise SystemExit(f"config.txt names no kernel or initramfs:\n{config}")
    missing += [name for name in (kernel[1], initramfs[1]) if name not in names]
    if missing:
        raise SystemExit(f"the boot partition lacks {missing}; it holds {sorted(names)}")
    cmdline = fat(image, offset, "mtype", "::cmdline.txt")
    if f"root=LABEL={ROOT_LABEL}" not in cmdline:
        raise SystemExit(f"cmdline.txt does not boot the root by label: {cmdline}")
    print(f"boot partition: {', '.join(PI4_FILES)}, {kernel[1]}, {initramfs[1]}", flush=True)
    for name in (kernel[1], initramfs[1]):
        fat(image, offset, "mcopy", f"::{name}", str(into / name))
    return into / kernel[1], into / initramfs[1], cmdline


def qemu_cmdline(cmdline: str) -> str:
    """The image's cmdline.txt with virt's serial console for the Pi's (serial0, tty1)."""
    words = [word for word in cmdline.split() if not word.startswith("console=")]
    return " ".join([QEMU_CONSOLE, *words, QEMU_EXTRA])


def free_port() -> int:
    """A free TCP port on the host's loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, timeout_s: float = 5) -> tuple[int, str]:
    """(status, body) of a GET, (0, error) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, response.read().decode(errors="replace")
    except Exception as error:  # any failure means "not yet"
        return 0, str(error)


def boot(image: Path, work: Path, kept_log: Path) -> None:
    """Boot a copy of ``image`` in QEMU; check first boot, the root's fsck, /healthz, /setup.

    The serial console (kernel, initramfs, journal) is copied to ``kept_log``, passed or not.
    """
    kernel, initrd, cmdline = check_boot_partition(image, work)
    disk = work / "disk.img"
    shutil.copyfile(image, disk)
    subprocess.run(["truncate", "-s", "+1G", str(disk)], check=True)  # a card larger than the image
    port = free_port()
    console = work / "console.log"
    command = [
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-m", "2048", "-smp", "2",
        "-kernel", str(kernel), "-initrd", str(initrd),
        # The Pi's cmdline.txt names its serial0; on virt the console is ttyAMA0.
        "-append", qemu_cmdline(cmdline),
        "-drive", f"file={disk},if=virtio,format=raw",
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:80",
        "-device", "virtio-net-pci,netdev=n0,romfile=",
        "-display", "none", "-serial", f"file:{console}", "-no-reboot",
    ]  # fmt: skip
    started = time.monotonic()
    errors = work / "qemu.log"
    with errors.open("wb") as output:
        qemu = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        while get(f"{url}/healthz")[0] != 200:
            if qemu.poll() is not None or time.monotonic() - started > BOOT_TIMEOUT_S:
                tail = (
                    errors.read_text(errors="replace") + console.read_text(errors="replace")[-8000:]
                )
                ended = "" if qemu.returncode is None else f" (QEMU exited {qemu.returncode})"
                raise SystemExit(
                    f"no /healthz after {time.monotonic() - started:.0f} s{ended}:\n{tail}"
                )
            time.sleep(5)
        print(f"boot to /healthz: {time.monotonic() - started:.0f} s", flush=True)
        # The first /setup renders its templates: tens of seconds under emulation.
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        status, page = get(f"{url}/setup", timeout_s=60)
        while status != 200 and time.monotonic() < deadline:
            time.sleep(5)
            status, page = get(f"{url}/setup", timeout_s=60)
        log = console.read_text(errors="replace")
        pin = PIN.search(log)
        fsck = ROOT_FSCK.search(log)
        problems = []
        if status != 200 or 'data-role="unconfigured"' not in page:
            problems.append(f"/setup answered {status} without an unconfigured role: {page[:300]}")
        if 'name="pin"' not in page:
            problems.append("/setup asks for no PIN")
        if pin is None:
            problems.append("first boot printed no setup PIN on the console")
        if fsck is None:
            problems.append(f"no fsck of {ROOT_LABEL} on the console: the root was not checked")
        if problems:
            raise SystemExit("; ".join(problems) + f"\nconsole:\n{log[-5000:]}")
        assert pin is not None
        assert fsck is not None
        print(f"root checked at boot: {fsck[0].strip()}")
        print(f"first boot ran (PIN {pin[1]} on the console); /setup: an unconfigured box")
    finally:
        qemu.terminate()
        try:
            qemu.wait(timeout=30)
        except subprocess.TimeoutExpired:
            qemu.kill()
        if console.exists():
            kept_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(console, kept_log)
            print(f"serial console: {kept_log}", flush=True)


def main(argv: list[str]) -> int:
    """Build (unless given an image), then check and boot it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build")
    parser.add_argument("--image", type=Path, help="a raw image already built")
    parser.add_argument(
        "--console-log", type=Path, help="the serial console's copy (default: beside the image)"
    )
    options = parser.parse_args(argv)
    image = options.image or build(options.output).raw
    kept_log = options.console_log or image.with_name(image.name + ".console.log")
    with tempfile.TemporaryDirectory(prefix="chrono-boot-") as work:
        boot(image, Path(work), kept_log)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
