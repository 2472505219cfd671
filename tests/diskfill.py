"""A box's disk filled up and freed again: the "full disk" fault of the tests and the chaos rig.

``small_disk(folder, size_bytes)`` mounts a tmpfs of that size on ``folder`` (root only)
and unmounts it after; ``fill(folder, leave_bytes)`` writes a filler file there until
at most ``leave_bytes`` are free; ``free(folder)`` removes it. From a shell (as root)::

    python -m tests.diskfill mount FOLDER SIZE_BYTES   # a tmpfs of that size on FOLDER
    python -m tests.diskfill fill FOLDER [LEAVE_BYTES] # prints the bytes still free
    python -m tests.diskfill free FOLDER
    python -m tests.diskfill unmount FOLDER
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FILLER = ".chrono-disk-filler"
"""The filler's name in the filled folder (the box's files never start with a dot)."""
_CHUNKS = (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1)
MOUNT_NEEDS = "needs root to mount a small filesystem (CI runs as root)"


def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root, and ``mount`` present)."""
    return os.geteuid() == 0 and shutil.which("mount") is not None


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged process may still write on ``folder``'s filesystem."""
    return shutil.disk_usage(folder).free


def fill(folder: Path, leave_bytes: int = 0) -> Path:
    """Write the filler in ``folder`` until at most ``leave_bytes`` are free; return its path.

    Filling again grows the same filler. Every byte written is real (not a hole) and
    flushed, so the filesystem counts it at once.
    """
    filler = folder / FILLER
    with filler.open("ab") as file:
        for size in _CHUNKS:
            block = b"\0" * size
            while free_bytes(folder) - size >= leave_bytes:
                try:
                    file.write(block)
                    file.flush()
                except OSError:  # full before we thought: try smaller blocks
                    break
        os.fsync(file.fileno())
    return filler


def free(folder: Path) -> None:
    """Remove the filler from ``folder`` (nothing happens if there is none)."""
    (folder / FILLER).unlink(missing_ok=True)


def mount(folder: Path, size_bytes: int) -> None:
    """Mount a tmpfs of ``size_bytes`` on ``folder`` (made if missing), owner-only."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size_bytes},mode=0700"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)


def unmount(folder: Path) -> None:
    """Unmount what ``mount`` put on ``folder`` (lazily: a process may still hold files)."""
    subprocess.run(["umount", "--lazy", str(folder)], check=True)


@contextmanager
def small_disk(folder: Path, size_bytes: int) -> Iterator[Path]:
    """A filesystem of ``size_bytes`` on ``folder`` for the block's duration."""
    mount(folder, size_bytes)
    try:
        yield folder
    finally:
        unmount(folder)


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tests.diskfill", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("mount", "fill", "free", "unmount"):
        command = commands.add_parser(name)
        command.add_argument("folder", type=Path)
        if name == "mount":
            command.add_argument("size_bytes", type=int)
        if name == "fill":
            command.add_argument("leave_bytes", type=int, nargs="?", default=0)
    args = parser.parse_args(argv)
    if args.command == "mount":
        mount(args.folder, args.size_bytes)
    elif args.command == "fill":
        fill(args.folder, args.leave_bytes)
        print(free_bytes(args.folder))
    elif args.command == "free":
        free(args.folder)
    else:
        unmount(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
