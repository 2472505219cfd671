"""What makes one box unique: machine id, SSH host keys, host name, and its time zone.

Every card is flashed from one image holding none of these; each function makes
what is missing under ``root`` and leaves what is there, so it can run again.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from edge.appliance.runner import CommandRunner
from edge.fleet.identity import CPUINFO, DEVICE_TREE_SERIAL, device_serial
from edge.store.files import DEFAULT_MODE, move_into_place, write_atomic

HOSTNAME_PREFIX = "chrono-"
_MACHINE_ID = re.compile(r"^[0-9a-f]{32}$")


def ensure_machine_id(root: Path) -> str:
    """Make /etc/machine-id (32 hex digits, as systemd does) unless a valid one is there."""
    path = root / "etc/machine-id"
    try:
        current = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        current = ""
    if _MACHINE_ID.match(current):
        return f"machine id {current} kept"
    made = uuid.uuid4().hex
    write_atomic(path, made + "\n", 0o444)
    return f"machine id {made} made"


def ensure_host_keys(runner: CommandRunner, root: Path) -> str:
    """Make the SSH host keys the image ships without (``ssh-keygen -A``), if SSH is there."""
    if not (root / "etc/ssh/sshd_config").exists():
        return "no SSH server in this system: no host keys needed"
    before = sorted(p.name for p in (root / "etc/ssh").glob("ssh_host_*_key"))
    done = runner.run(["ssh-keygen", "-A", "-f", str(root)])
    if not done.ok:
        raise RuntimeError(f"ssh-keygen -A failed: {done.output}")
    after = sorted(p.name for p in (root / "etc/ssh").glob("ssh_host_*_key"))
    made = [name for name in after if name not in before]
    return f"SSH host keys made: {', '.join(made)}" if made else "SSH host keys kept"


def default_hostname(
    root: Path, cpuinfo: Path = CPUINFO, device_tree: Path = DEVICE_TREE_SERIAL
) -> str:
    """``chrono-`` and the last 6 hex digits of the Pi's serial (else of the machine id)."""
    serial = device_serial(cpuinfo, device_tree, root / "etc/machine-id")
    tail = re.sub(r"[^0-9a-f]", "", serial.lower())[-6:]
    return HOSTNAME_PREFIX + tail.rjust(6, "0")


def set_hostname(root: Path, name: str) -> str:
    """Write /etc/hostname and the 127.0.1.1 line of /etc/hosts (Debian's convention)."""
    changed = []
    hostname_file = root / "etc/hostname"
    if _read(hostname_file).strip() != name:
        write_atomic(hostname_file, name + "\n", DEFAULT_MODE)
        changed.append("/etc/hostname")
    hosts_file = root / "etc/hosts"
    lines = _read(hosts_file).splitlines()
    wanted = f"127.0.1.1\t{name}"
    others = [line for line in lines if not line.startswith("127.0.1.1")]
    if [line for line in lines if line.startswith("127.0.1.1")] != [wanted]:
        if not others:
            others = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback"]
        write_atomic(hosts_file, "\n".join([*others[:1], wanted, *others[1:]]) + "\n")
        changed.append("/etc/hosts")
    if changed:
        return f"host name {name} ({' and '.join(changed)} written)"
    return f"host name {name} kept"


def apply_hostname_now(runner: CommandRunner, name: str) -> str:
    """On the running box: give the kernel the new name too (avahi announces it next)."""
    done = runner.run(["hostname", name])
    return "the running system uses it now" if done.ok else f"not applied now: {done.output}"


def set_timezone(root: Path, name: str) -> str:
    """Point /etc/localtime at the zone and write /etc/timezone (ValueError: no such zone)."""
    zoneinfo = root / "usr/share/zoneinfo"
    if not (zoneinfo / name).is_file():
        raise ValueError(f"{name!r} is not a time zone of this system (see /usr/share/zoneinfo)")
    target = Path("/usr/share/zoneinfo") / name
    localtime = root / "etc/localtime"
    changed = []
    if not (localtime.is_symlink() and Path(os.readlink(localtime)) == target):
        temporary = localtime.with_name(".localtime.firstboot")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(target)
        move_into_place(temporary, localtime)
        changed.append("/etc/localtime")
    if _read(root / "etc/timezone").strip() != name:
        write_atomic(root / "etc/timezone", name + "\n")
        changed.append("/etc/timezone")
    return f"time zone {name}" + (f" ({' and '.join(changed)} written)" if changed else " kept")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def current_hostname(root: Path) -> str:
    """The name in /etc/hostname (``localhost`` when there is none)."""
    return _read(root / "etc/hostname").strip() or "localhost"
