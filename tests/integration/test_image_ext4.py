"""Two ext4 images of the same tree, made a second apart, are the same bytes once clamped.

Real mke2fs -d, debugfs and dumpe2fs (e2fsprogs), as ``make image`` runs them through
genimage; the tree's ctimes move between the two, as they do between two image builds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from image.ext4 import clamp_inode_times, used_inodes

TOOLS = ("mke2fs", "debugfs", "dumpe2fs", "e2fsck")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"{', '.join(MISSING)} missing: apt-get install $(cat .ci/debian-packages.txt)",
    ),
]
EPOCH = 1_700_000_000
UUID = "4f30bf82-4683-5eb5-8b8d-af60cf8e7e07"


def make_ext4(tree: Path, image: Path) -> Path:
    """mke2fs -d with everything fixed that mke2fs lets a caller fix (as image/build.py)."""
    subprocess.run(
        ["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), "-U", UUID,
         "-E", f"hash_seed={UUID},root_owner=0:0", str(image), "8M"],
        check=True, env={**os.environ, "E2FSPROGS_FAKE_TIME": str(EPOCH)},
    )  # fmt: skip
    return image


def inode_times(image: Path, path: str) -> dict[str, str]:
    """atime, ctime and mtime of ``path`` in ``image`` as debugfs prints them (hex:extra)."""
    shown = subprocess.run(
        ["debugfs", "-R", f"stat {path}", str(image)], capture_output=True, text=True, check=True
    ).stdout
    return {
        line.split(":")[0].strip(): line.split()[1]
        for line in shown.splitlines()
        if line.strip().startswith(("atime:", "ctime:", "mtime:"))
    }


def test_two_builds_a_second_apart_give_the_same_bytes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("chrono\n")
    (tree / "usr" / "bin").mkdir(parents=True)
    (tree / "bin").symlink_to("usr/bin")
    for path in (tree / "etc" / "hostname", tree / "etc", tree / "usr" / "bin", tree / "usr"):
        os.utime(path, (EPOCH - 100, EPOCH - 100))
    first = make_ext4(tree, tmp_path / "first.ext4")
    time.sleep(1.1)
    # A build touches the tree: the ctime moves (mtime kept), as cp -a and clamping do.
    os.chmod(tree / "etc" / "hostname", 0o644)
    second = make_ext4(tree, tmp_path / "second.ext4")
    assert first.read_bytes() != second.read_bytes(), "the test's trees did not differ"

    assert clamp_inode_times(first, EPOCH) == clamp_inode_times(second, EPOCH)

    assert first.read_bytes() == second.read_bytes()
    times = inode_times(first, "/etc/hostname")
    assert times["atime"] == times["ctime"] == f"0x{EPOCH:08x}:00000000"
    # mtime is the tree's own (older than the epoch): kept.
    assert times["mtime"] == f"0x{EPOCH - 100:08x}:00000000"


def test_used_inodes_are_the_files_and_nothing_free(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for number in range(5):
        (tree / f"file{number}").write_text(str(number))
    image = make_ext4(tree, tmp_path / "fs.ext4")
    # The root, lost+found (11) and the five files; none of the free ones.
    assert used_inodes(image) == [2, *range(11, 17)]
