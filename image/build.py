"""``make image``: the Pi 4 SD-card image, from Debian packages and this checkout's bundle.

    python -m image.build [--output build] [--bundle BUNDLE]

Steps: the aarch64 release bundle (chrono-ota bundle), the cached arm64 base
(image/base.py, ~25 min once under qemu-user), a copy of it prepared by
image/recipe.py, then genimage assembles FAT boot + ext4 root + ext4 data into one
disk image without loop devices; bmaptool maps it, xz compresses it, sha256 sums it.

Reproducible: SOURCE_DATE_EPOCH (default: the last commit's time) fixes every mtime,
every inode's atime and ctime (image/ext4.py), the file systems' UUIDs, hash seeds and
timestamps, the FAT volume id and the disk signature: two builds from the same base and
bundle give the same bytes (docs/image.md, "Reproducibility").
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from image.base import Flavour, build_base
from image.recipe import BOOT_LABEL, DATA_LABEL, ROOT, ROOT_LABEL, Trees, prepare
from ota.bundle import build_bundle
from ota.targets import get_target
from ota.verify import verify_bundle

TARGET = "linux-aarch64-cp311"
FLAVOUR = Flavour("arm64", kernel=True)
BOOT_SIZE = "256M"
# Room for a few releases side by side (OTA keeps current and previous, ~250 MB each).
ROOT_SIZE = "2560M"
# Small on the card file: first boot grows it to the whole card.
DATA_SIZE = "128M"
GENIMAGE_CFG = """\
image boot.vfat {{
  vfat {{
    label = "{boot_label}"
    extraargs = "-i {volume_id} --invariant"
  }}
  size = {boot_size}
  srcpath = "{boot}"
}}

image root.ext4 {{
  ext4 {{
    label = "{root_label}"
    use-mke2fs = true
    fs-timestamp = "{timestamp}"
    extraargs = "-U {root_uuid} -E hash_seed={root_uuid} -m 1"
  }}
  size = {root_size}
  srcpath = "{root}"
  exec-post = "{clamp_inode_times}"
}}

image data.ext4 {{
  ext4 {{
    label = "{data_label}"
    use-mke2fs = true
    fs-timestamp = "{timestamp}"
    extraargs = "-U {data_uuid} -E hash_seed={data_uuid} -m 1"
  }}
  size = {data_size}
  srcpath = "{data}"
  exec-post = "{clamp_inode_times}"
}}

image {name} {{
  hdimage {{
    partition-table-type = "mbr"
    disk-signature = 0x{volume_id}
  }}
  partition boot {{
    partition-type = 0xC
    bootable = true
    image = "boot.vfat"
    offset = 4M
  }}
  partition root {{
    partition-type = 0x83
    image = "root.ext4"
  }}
  # Last on the card, so first boot can grow it to the end.
  partition data {{
    partition-type = 0x83
    image = "data.ext4"
  }}
}}
"""


@dataclass(frozen=True)
class Built:
    """What ``make image`` leaves in the output folder, and how long it took."""

    raw: Path
    xz: Path
    bmap: Path
    sha256: Path
    seconds: float


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH, else the time of the checkout's last commit."""
    configured = os.environ.get("SOURCE_DATE_EPOCH")
    if configured:
        return int(configured)
    done = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.strip())


def stable_uuid(epoch: int, what: str) -> str:
    """A UUID that depends only on the inputs (same epoch, same file system)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"chronoedge-image:{epoch}:{what}"))


def build(output: Path, bundle: Path | None = None, keep_raw: bool = True) -> Built:
    """Build the image into ``output``; print the figures a release note gives."""
    started = time.monotonic()
    epoch = source_date_epoch()
    # Absolute: Ansible runs in ansible/, where a relative inventory or chroot path
    # names nothing (and a playbook with no host matched "succeeds").
    output = output.resolve()
    bundle = bundle.resolve() if bundle else None
    output.mkdir(parents=True, exist_ok=True)
    if bundle is None:
        bundle = build_bundle(ROOT, get_target(TARGET), output)
    version = verify_bundle(bundle, TARGET).version
    print(f"bundle {bundle.name}", flush=True)
    base = build_base(FLAVOUR)
    print(f"base {base} ({time.monotonic() - started:.0f} s so far)", flush=True)
    name = f"chronoedge-{version}-pi4-arm64.img"
    with tempfile.TemporaryDirectory(prefix="chrono-image-", dir=output) as scratch:
        work = Path(scratch)
        trees = Trees(work / "root", work / "data", work / "boot")
        subprocess.run(["cp", "-a", "--reflink=auto", str(base), str(trees.root)], check=True)
        prepare(trees, FLAVOUR, bundle, version, TARGET, epoch)
        print(f"trees prepared ({time.monotonic() - started:.0f} s so far)", flush=True)
        config = work / "genimage.cfg"
        config.write_text(
            GENIMAGE_CFG.format(
                name=name,
                boot=trees.boot, root=trees.root, data=trees.data,
                boot_label=BOOT_LABEL, root_label=ROOT_LABEL, data_label=DATA_LABEL,
                boot_size=BOOT_SIZE, root_size=ROOT_SIZE, data_size=DATA_SIZE,
                volume_id=f"{epoch & 0xFFFFFFFF:08x}",
                timestamp=time.strftime("%Y%m%d%H%M%S", time.gmtime(epoch)),
                root_uuid=stable_uuid(epoch, "root"), data_uuid=stable_uuid(epoch, "data"),
                clamp_inode_times=f"{sys.executable} -m image.ext4",
            )
        )  # fmt: skip
        empty = work / "empty"
        empty.mkdir()
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "E2FSPROGS_FAKE_TIME": str(epoch)}
        subprocess.run(
            # Every image names its srcpath: genimage's rootpath (which it would copy
            # whole) is an empty folder.
            ["genimage", "--config", str(config), "--rootpath", str(empty),
             "--tmppath", str(work / "tmp"), "--inputpath", str(work / "images"),
             "--outputpath", str(work / "images")],
            # In the checkout: the exec-post above runs ``-m image.ext4`` from here.
            check=True, env=env, cwd=ROOT,
        )  # fmt: skip
        raw = output / name
        shutil.move(work / "images" / name, raw)
    bmap = raw.with_name(raw.name + ".bmap")
    subprocess.run(["bmaptool", "create", "-o", str(bmap), str(raw)], check=True)
    xz = raw.with_name(raw.name + ".xz")
    with xz.open("wb") as compressed:
        subprocess.run(["xz", "-T0", "-6", "-c", str(raw)], stdout=compressed, check=True)
    digest = hashlib.sha256()
    with xz.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha256 = xz.with_name(xz.name + ".sha256")
    sha256.write_text(f"{digest.hexdigest()}  {xz.name}\n")
    seconds = time.monotonic() - started
    print(
        f"{xz.name}: {xz.stat().st_size / 1e6:.0f} MB compressed, "
        f"{raw.stat().st_size / 1e6:.0f} MB raw; built in {seconds:.0f} s",
        flush=True,
    )
    if not keep_raw:
        raw.unlink()
    return Built(raw, xz, bmap, sha256, seconds)


def main(argv: list[str]) -> int:
    """Parse the options and build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build")
    parser.add_argument("--bundle", type=Path, help="an aarch64 bundle already built")
    options = parser.parse_args(argv)
    build(options.output, options.bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
