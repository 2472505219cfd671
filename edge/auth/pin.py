"""The first-boot setup PIN: made once, shown on the console and in files, spent by the claim.

The operator finds it on the console (``chrono-edge serve`` prints it), in
``setup-pin.txt`` beside reader.json (mode 0600, for someone logged in on the box)
and on the SD card's boot partition (a FAT folder any laptop can read) when the box
has one, so a box without a screen can still be claimed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from edge.paths import SETUP_PIN_FILE
from edge.store.files import PRIVATE_MODE, write_atomic

PIN_DIGITS = 8
PIN_FILE = SETUP_PIN_FILE
BOOT_PIN_FILE = "chronoedge-setup-pin.txt"
BOOT_CANDIDATES = (Path("/boot/firmware"), Path("/boot"))
# The Raspberry Pi's firmware files: a folder holding one is the FAT boot partition
# (an ordinary /boot on a PC or in a container holds neither and is left alone).
_PI_BOOT_MARKERS = ("config.txt", "cmdline.txt")


def new_pin() -> str:
    """A fresh PIN of PIN_DIGITS decimal digits from the system's secure random source."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


def find_boot_folder(candidates: tuple[Path, ...] = BOOT_CANDIDATES) -> Path | None:
    """The Pi's boot partition if this machine has a writable one, else None.

    A folder this user may not look into is not its boot partition: Python 3.11's
    ``Path.exists`` raises on "permission denied" (a FAT mounted umask=0077 once
    stopped the web unit at every start).
    """
    for folder in candidates:
        try:
            found = (
                folder.is_dir()
                and any((folder / marker).exists() for marker in _PI_BOOT_MARKERS)
                and os.access(folder, os.W_OK)
            )
        except OSError:
            continue
        if found:
            return folder
    return None


def read_pin(folder: Path) -> str | None:
    """The PIN kept beside reader.json, or None if there is none (or it is damaged)."""
    try:
        text = (folder / PIN_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) == PIN_DIGITS and text.isdigit() else None


def ensure_pin(folder: Path, boot_folder: Path | None) -> str:
    """The current PIN: the one kept in ``folder``, else a new one written there and on boot."""
    pin = read_pin(folder)
    if pin is None:
        pin = new_pin()
        write_atomic(folder / PIN_FILE, pin + "\n", PRIVATE_MODE)
    if boot_folder is not None:
        _write_boot_copy(boot_folder / BOOT_PIN_FILE, pin)
    return pin


def remove_pin(folder: Path, boot_folder: Path | None) -> None:
    """Delete every copy of the PIN (it is spent once the box is claimed)."""
    targets = [folder / PIN_FILE]
    if boot_folder is not None:
        targets.append(boot_folder / BOOT_PIN_FILE)
    for path in targets:
        # A read-only boot partition: the PIN left there no longer opens anything.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _write_boot_copy(path: Path, pin: str) -> None:
    text = (
        f"ChronoEdge setup PIN: {pin}\nOpen http://<this box>/setup and type it to claim the box.\n"
    )
    try:
        if path.exists() and pin in path.read_text(encoding="ascii", errors="replace"):
            return
        write_atomic(path, text, mode=None)  # FAT: no modes to set
    except OSError:
        pass  # the console and setup-pin.txt still show it
