"""Who this box is: the Raspberry Pi's serial, else the machine id."""

from __future__ import annotations

import re
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
DEVICE_TREE_SERIAL = Path("/sys/firmware/devicetree/base/serial-number")
MACHINE_ID = Path("/etc/machine-id")
_SERIAL_LINE = re.compile(r"^Serial\s*:\s*([0-9a-fA-F]+)\s*$", re.MULTILINE)


def device_serial(
    cpuinfo: Path = CPUINFO, device_tree: Path = DEVICE_TREE_SERIAL, machine_id: Path = MACHINE_ID
) -> str:
    """The Pi's serial (cpuinfo, then device tree), else /etc/machine-id; never empty."""
    try:
        found = _SERIAL_LINE.search(cpuinfo.read_text(encoding="ascii", errors="replace"))
        if found and found.group(1).strip("0"):
            return found.group(1).lower()
    except OSError:
        pass
    for source in (device_tree, machine_id):
        try:
            value = source.read_bytes().decode("ascii", errors="replace").strip("\x00 \n")
        except OSError:
            continue
        if value:
            return value.lower()
    raise RuntimeError("no serial: neither a Raspberry Pi serial nor /etc/machine-id")
