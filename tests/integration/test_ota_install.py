"""``chrono-ota apply`` on a box in a folder: real bundles, real offline installs, real units.

The installer runs from the box's current release as chronoedge-update.service runs
it; the units (web, worker) are run by the systemctl stand-in from ``opt/current``.
"""

from __future__ import annotations

import json
import tarfile
import time
from datetime import datetime
from pathlib import Path

import pytest

from ota.archive import write_tar
from ota.state import Step
from tests.otabox import GATE_S, ReleaseStore, TestBox, running_box

pytestmark = pytest.mark.integration


def tampered(bundle: Path, folder: Path) -> Path:
    """A copy of ``bundle`` with one byte of its chronoedge wheel changed."""
    copy = folder / bundle.name
    copy.write_bytes(bundle.read_bytes())
    with tarfile.open(copy) as archive:
        wheel = next(m for m in archive if m.name.startswith("wheels/chronoedge-"))
    with copy.open("r+b") as stream:
        stream.seek(wheel.offset_data + wheel.size // 2)
        byte = stream.read(1)
        stream.seek(-1, 1)
        stream.write(bytes([byte[0] ^ 0xFF]))
    return copy


def for_other_target(bundle: Path, folder: Path) -> Path:
    """``bundle`` with its manifest saying it is for a Pi (its files untouched)."""
    contents: dict[str, Path | bytes] = {}
    with tarfile.open(bundle) as archive:
        for member in archive:
            stream = archive.extractfile(member)
            assert stream is not None
            contents[member.name] = stream.read()
    manifest = json.loads(contents["manifest.json"])  # type: ignore[arg-type]
    manifest["target"] = "linux-aarch64-cp311"
    contents["manifest.json"] = json.dumps(manifest).encode()
    copy = folder / bundle.name
    write_tar(copy, contents)
    return copy


def installed(box: TestBox) -> list[str]:
    """Everything under opt/ and the unpack folder, by name."""
    names = sorted(p.name for p in (box.store.opt / "releases").iterdir())
    unpacked = box.layout.unpack_dir
    return names + (sorted(p.name for p in unpacked.iterdir()) if unpacked.exists() else [])


def test_refused_bundles_install_nothing(release_store: ReleaseStore, tmp_path: Path) -> None:
    release_store.reset(("0.1.0",), current="0.1.0")
    box = TestBox(release_store, tmp_path / "box")
    good = release_store.bundles["0.1.1"]
    cases = {
        "tampered": (tampered(good, tmp_path), "its sha256 differs from the manifest"),
        "other target": (
            for_other_target(good, tmp_path / "box"),
            "the bundle is for linux-aarch64-cp311, not for linux-x86_64-cp311",
        ),
        "the running version": (release_store.bundles["0.1.0"], "is not newer than 0.1.0"),
    }
    for name, (bundle, why) in cases.items():
        box.request("0.1.1" if name != "the running version" else "0.1.0")
        request_file = box.layout.request_file
        request = json.loads(request_file.read_bytes())
        Path(request["bundle"]).write_bytes(bundle.read_bytes())
        done = box.apply()
        assert done.returncode == 0, done.stdout + done.stderr
        attempt = box.attempt()
        assert attempt.step is Step.REFUSED, (name, attempt)
        assert why in (attempt.error or ""), (name, attempt.error)
        assert installed(box) == ["0.1.0"], name
        assert box.current() == "0.1.0"
        assert box.previous() is None


def test_a_good_release_installs_and_passes_its_gate(
    release_store: ReleaseStore, tmp_path: Path
) -> None:
    release_store.reset(("0.1.0",), current="0.1.0")
    with running_box(release_store, tmp_path / "box") as box:
        box.start("0.1.0")
        box.cli("event", "load", str(Path(__file__).parents[1] / "fixtures/events/spring-10k.yaml"))
        before = box.timing_data()
        box.request("0.1.1")
        started = time.monotonic()
        done = box.apply()
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stdout + done.stderr
        attempt = box.attempt()
        assert attempt.step is Step.HEALTHY, attempt
        assert (box.current(), box.previous()) == ("0.1.1", "0.1.0")
        assert box.healthz() == (200, "0.1.1")
        assert box.timing_data() == before
        # Cleaned up: the bundle, the unpacked files; only current and previous remain.
        assert installed(box) == ["0.1.0", "0.1.1"]
        assert not list(box.paths.downloads_folder.iterdir())
        steps = [entry["step"] for entry in attempt.history]
        assert steps == ["verify", "unpack", "migrate", "switch", "restart", "gate", "healthy"]
        shown = box.ota_cli("status")
        assert "current: 0.1.1" in shown
        assert "last attempt: 0.1.0 -> 0.1.1: healthy" in shown
        print(f"install start to healthy: {elapsed:.1f} s (with the offline install)")


def test_a_release_failing_its_gate_rolls_back_with_its_database_intact(
    release_store: ReleaseStore, tmp_path: Path
) -> None:
    release_store.reset(("0.1.0", "0.1.2"), current="0.1.0")
    with running_box(release_store, tmp_path / "box") as box:
        box.start("0.1.0")
        box.cli("event", "load", str(Path(__file__).parents[1] / "fixtures/events/spring-10k.yaml"))
        before = box.timing_data()
        box.request("0.1.2")
        started = time.monotonic()
        done = box.apply()
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stdout + done.stderr
        attempt = box.attempt()
        assert attempt.step is Step.ROLLED_BACK, attempt
        assert "/healthz answered 500" in (attempt.error or "")
        assert (box.current(), box.previous()) == ("0.1.0", None)
        assert box.healthz() == (200, "0.1.0")
        assert box.timing_data() == before
        assert elapsed < 2 * GATE_S + 30, elapsed
        at = {entry["step"]: datetime.fromisoformat(entry["at"]) for entry in attempt.history}
        back = (at["rolled_back"] - at["rollback"]).total_seconds()
        print(
            f"install to rolled back: {elapsed:.1f} s (gate deadline {GATE_S:.0f} s); the return "
            f"(switch back, restart, old release healthy): {back:.0f} s"
        )
