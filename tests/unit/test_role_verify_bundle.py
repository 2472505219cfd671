"""The box role's on-box check of an unpacked bundle (ansible/roles/chronoedge_box/files/
verify_bundle.py): stdlib only, it runs before any release exists, so it is tested on
its own against the same bundles as ``chrono-ota verify``."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.unit.test_bundle_verify import TARGET, WHEEL, fake_bundle

SCRIPT = Path(__file__).resolve().parents[2] / "ansible/roles/chronoedge_box/files/verify_bundle.py"


def unpacked(tmp_path: Path) -> Path:
    """A sound bundle, unpacked as the role unpacks it."""
    files = {
        "requirements.txt": b"demo==1.0 --hash=sha256:00\n",
        WHEEL: bytes(range(256)) * 40,
    }
    folder = tmp_path / "unpacked"
    with tarfile.open(fake_bundle(tmp_path, files)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def check(folder: Path, target: str = TARGET) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(folder), target],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_sound_bundle_passes(tmp_path: Path) -> None:
    done = check(unpacked(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "2 files verified" in done.stdout


def test_a_changed_byte_is_refused_naming_the_file(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    wheel = folder / WHEEL
    data = bytearray(wheel.read_bytes())
    data[100] ^= 1
    wheel.write_bytes(bytes(data))
    done = check(folder)
    assert done.returncode == 1
    assert done.stdout.startswith(f"{WHEEL}: sha256 ")


def test_a_file_the_manifest_does_not_list_is_refused(tmp_path: Path) -> None:
    folder = unpacked(tmp_path)
    (folder / "wheels" / "extra-1.0-py3-none-any.whl").write_bytes(b"not listed")
    done = check(folder)
    assert done.returncode == 1
    assert "wheels/extra-1.0-py3-none-any.whl: in the bundle but not in its manifest" in done.stdout


@pytest.mark.parametrize("damage", ["missing", "other-target"])
def test_a_missing_file_or_another_target_is_refused(tmp_path: Path, damage: str) -> None:
    folder = unpacked(tmp_path)
    if damage == "missing":
        (folder / "requirements.txt").unlink()
        expected = "requirements.txt: listed in the manifest but missing"
        done = check(folder)
    else:
        expected = f"the bundle is for {TARGET}, not for linux-x86_64-cp311"
        done = check(folder, "linux-x86_64-cp311")
    assert done.returncode == 1
    assert expected in done.stdout
