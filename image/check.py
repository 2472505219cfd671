"""``make image-test``: build the real arm64 image, check its boot partition, boot it in QEMU.

    python -m image.check [--output build] [--image IMG] [--console-log FILE]

The boot partition is read with mtools (no mount, no loop device): it must hold what a
Pi 4 needs and a config.txt that names its kernel and initramfs. Then the image's own
kernel, initramfs and cmdline.txt boot its root file system in ``qemu-system-aarch64 -M
virt`` (QEMU 7.2 has no Pi 4 machine) on a copy of the disk, with user-mode networking
and port 80 forwarded to the host; the host waits for /healthz, then reads /setup; the
console must show the root's fsck and the PIN first boot printed, and lgpio must open
the machine's GPIO chip in the panel unit's sandbox. Prints build time, sizes,
boot-to-/healthz; keeps the serial console beside the image.
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
# lgpio (gpiozero's pin factory on a Pi) opens QEMU virt's GPIO chip (a pl061, gpiochip0)
# as the panel would: the image's own panel unit, its user, groups and sandbox, with this
# command instead, run once. Written into the booted copy only, never into the image.
PANEL_UNIT = "/etc/systemd/system/chronoedge-panel.service"
PROBE_NAME = "chronoedge-gpio-probe"
PROBE_COMMAND = (
    "/opt/chronoedge/current/bin/python -c"
    " \"import lgpio; print('lgpio probe:', lgpio.gpio_get_chip_info(lgpio.gpiochip_open(0)))\""
)
PROBED = re.compile(r"lgpio probe: [\[(]0, (\d+), '(gpiochip0)', '([^']*)'")
PROBE_TIMEOUT_S = 120


def partition_offset(image: Path, index: int) -> int:
    """Byte offset of a partition (0: FAT boot, 1: root, 2: data)."""
    table = json.loads(
        subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, check=True).stdout
    )["partitiontable"]
    return int(table["partitions"][index]["start"]) * int(table.get("sectorsize", 512))


def fat(image: Path, offset: int, *args: str) -> str:
    """An mtools command on the image's FAT partition (``::`` is its root)."""
    done = subprocess.run(
        [args[0], "-i", f"{image}@@{offset}", *args[1:]],
        capture_output=True, text=True, check=True, env=MTOOLS_ENV,
    )  # fmt: skip
    return done.stdout


def check_boot_partition(image: Path, into: Path) -> tuple[Path, Path, str]:
    """Fail unless the boot partition is complete; copy out its kernel, initramfs, cmdline."""
    offset = partition_offset(image, 0)
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


def probe_unit(panel: str) -> str:
    """The panel unit with the lgpio probe for command, run once after udev settled."""
    lines = []
    for line in panel.replace("chronoedge-panel", PROBE_NAME).splitlines():
        if line.startswith("ExecStart="):
            # `+`: udevadm runs as root, outside the sandbox; the probe as the panel does.
            line = f"ExecStartPre=+/usr/bin/udevadm settle\nExecStart={PROBE_COMMAND}"
        elif line.startswith("Restart="):
            line = "Restart=no"
        elif line.startswith("Description="):
            line = "Description=image-test: lgpio opens the GPIO chip as the panel would"
        lines.append(line)
    unit = "\n".join(lines) + "\n"
    if PROBE_COMMAND not in unit or f"LG_WD=/run/{PROBE_NAME}" not in unit:
        raise SystemExit(f"the image's panel unit is not what the probe expects:\n{panel}")
    return unit


def add_gpio_probe(disk: Path, work: Path) -> None:
    """Install and enable the lgpio probe unit in the root file system of ``disk``."""
    root = f"{disk}?offset={partition_offset(disk, 1)}"
    panel = subprocess.run(
        ["debugfs", "-R", f"cat {PANEL_UNIT}", root], capture_output=True, text=True, check=True
    ).stdout
    unit = work / f"{PROBE_NAME}.service"
    unit.write_text(probe_unit(panel))
    target = f"/etc/systemd/system/{unit.name}"
    commands = (
        f"write {unit} {target}\n"
        f"symlink /etc/systemd/system/multi-user.target.wants/{unit.name} {target}\n"
    )
    subprocess.run(["debugfs", "-w", "-f", "-", root], input=commands, text=True,
                   capture_output=True, check=True)  # fmt: skip


def wait_for_probe(console: Path) -> re.Match[str]:
    """The probe's line on the console; fail with the console's tail if it never comes."""
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    while (found := PROBED.search(console.read_text(errors="replace"))) is None:
        if time.monotonic() > deadline:
            log = console.read_text(errors="replace")
            lines = [line for line in log.splitlines() if "lgpio" in line or PROBE_NAME in line]
            raise SystemExit(
                "lgpio did not open gpiochip0 as the panel's user:\n" + "\n".join(lines[-40:])
            )
        time.sleep(5)
    return found


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
    add_gpio_probe(disk, work)
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
        probed = wait_for_probe(console)
        print(f"lgpio as the panel's user: {probed[2]} ({probed[3]}, {probed[1]} lines)")
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
