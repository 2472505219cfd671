"""Inode times of an ext4 image made by ``mke2fs -d``, set to SOURCE_DATE_EPOCH.

mke2fs copies each file's atime and ctime from the source tree as it is on the build
machine. Clamping mtimes (image/recipe.py) cannot reach them: touching a file sets its
ctime to now, and reading it may move its atime. Measured on two builds from the same
base, bundle and epoch: those two fields, and only they, differed, in every inode of the
root and data partitions. Here they are rewritten with debugfs, once the file system is
made and before genimage puts it on the disk (its ``exec-post``):

    python -m image.ext4          # genimage's environment: IMAGEOUTFILE, SOURCE_DATE_EPOCH
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def used_inodes(fs: Path) -> list[int]:
    """The root directory and every inode in use past the reserved ones, from dumpe2fs."""
    listing = subprocess.run(
        ["dumpe2fs", str(fs)], capture_output=True, text=True, check=True
    ).stdout
    count = int(_field(listing, "Inode count"))
    first = int(_field(listing, "First inode"))
    free: set[int] = set()
    for ranges in re.findall(r"^\s+Free inodes: (.*)$", listing, re.MULTILINE):
        for span in filter(None, (part.strip() for part in ranges.split(","))):
            low, _, high = span.partition("-")
            free.update(range(int(low), int(high or low) + 1))
    return [2, *(inode for inode in range(first, count + 1) if inode not in free)]


def clamp_inode_times(fs: Path, epoch: int) -> int:
    """Set atime and ctime of every used inode of ``fs`` to ``epoch``; return how many."""
    inodes = used_inodes(fs)
    commands = "".join(
        f"set_inode_field <{inode}> {field} @{epoch}\n"
        for inode in inodes
        for field in ("atime", "ctime")
    )
    # debugfs stamps the superblock's write time when it closes: the epoch, not now.
    env = {**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch)}
    done = subprocess.run(
        ["debugfs", "-w", "-f", "-", str(fs)],
        input=commands, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    # debugfs exits 0 whatever a command says: its complaints are on stderr.
    complaints = [line for line in done.stderr.splitlines() if not line.startswith("debugfs ")]
    if done.returncode != 0 or complaints:
        raise RuntimeError(f"debugfs could not set inode times in {fs}:\n{done.stderr[-2000:]}")
    subprocess.run(["e2fsck", "-fn", str(fs)], capture_output=True, check=True)
    return len(inodes)


def _field(listing: str, name: str) -> str:
    found = re.search(rf"^{name}:\s+(\S+)", listing, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"dumpe2fs printed no {name!r}")
    return found[1]


def main() -> int:
    """genimage's exec-post: the image it just made, the build's epoch."""
    fs = Path(os.environ["IMAGEOUTFILE"])
    count = clamp_inode_times(fs, int(os.environ["SOURCE_DATE_EPOCH"]))
    print(f"{fs.name}: atime and ctime of {count} inodes set to SOURCE_DATE_EPOCH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
