"""Growing the data partition and its ext4 file system to the size of the SD card.

The image ships a small data partition (label ``CHRONODATA``) at the end of the
disk; at first boot ``growpart`` moves its end to the end of the card and
``resize2fs`` grows the mounted ext4 file system into it (online growth needs no
unmount). Both tools say so and change nothing when there is nothing to grow, so
the step is safe to run again after a power cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge.appliance.runner import CommandRunner

DATA_LABEL = "CHRONODATA"
SYS_BLOCK = Path("/sys/class/block")


@dataclass(frozen=True)
class DataPartition:
    """Where the data lives: the whole disk, the partition's number, the file system."""

    disk: Path  # /dev/mmcblk0 (or a disk image file)
    number: int  # 3
    filesystem: Path  # /dev/mmcblk0p3 (or an ext4 image file)


def find_data_partition(
    runner: CommandRunner, data_dir: Path, sys_block: Path = SYS_BLOCK
) -> DataPartition | None:
    """The partition labelled CHRONODATA, else the one mounted on ``data_dir``; None if neither."""
    device = ""
    found = runner.run(["blkid", "-L", DATA_LABEL])
    if found.ok and found.output:
        device = found.output.splitlines()[0].strip()
    else:
        mount = runner.run(["findmnt", "-n", "-o", "SOURCE", "--mountpoint", str(data_dir)])
        if mount.ok and mount.output.startswith("/dev/"):
            device = mount.output.splitlines()[0].strip()
    if not device:
        return None
    name = Path(device).resolve().name
    try:
        number = int((sys_block / name / "partition").read_text().strip())
        disk_name = (sys_block / name).resolve().parent.name
    except (OSError, ValueError):
        return None  # a whole disk or a device mapper: nothing to grow in place
    return DataPartition(Path("/dev") / disk_name, number, Path(device))


def grow_partition(runner: CommandRunner, part: DataPartition) -> str:
    """Extend the partition to the end of its disk; say what happened (RuntimeError: failed)."""
    done = runner.run(["growpart", str(part.disk), str(part.number)])
    if done.ok:
        return f"partition {part.number} of {part.disk} grown to the end of the disk"
    if done.returncode == 1 and "NOCHANGE" in done.output:
        return f"partition {part.number} of {part.disk} already fills the disk"
    raise RuntimeError(f"growpart {part.disk} {part.number} failed: {done.output}")


def grow_filesystem(runner: CommandRunner, part: DataPartition) -> str:
    """Grow the ext4 file system to fill its partition (RuntimeError: failed)."""
    done = runner.run(["resize2fs", str(part.filesystem)])
    if not done.ok:
        raise RuntimeError(f"resize2fs {part.filesystem} failed: {done.output}")
    if "Nothing to do" in done.output:
        return f"file system on {part.filesystem} already fills its partition"
    return f"file system on {part.filesystem} grown: {done.output.splitlines()[-1]}"
