"""The real x86-64 bundle: built from this checkout, verified, installed offline, run."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ota.bundle import build_bundle
from ota.manifest import INSTALL_COMMAND, REQUIREMENTS_NAME
from ota.targets import get_target
from ota.verify import verify_bundle

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TARGET = "linux-x86_64-cp311"


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a command, fail the test with its output if it fails."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The x86-64 bundle of this checkout (pip's cache makes a rebuild take seconds)."""
    return build_bundle(ROOT, get_target(TARGET), tmp_path_factory.mktemp("build"))


def test_the_bundle_installs_offline_and_runs(bundle: Path, tmp_path: Path) -> None:
    assert bundle.name.startswith("chronoedge-")
    assert bundle.name.endswith(f"-{TARGET}.tar")
    manifest = verify_bundle(bundle, TARGET)
    assert manifest.commit == run("git", "-C", ROOT, "rev-parse", "HEAD").strip()
    assert set(manifest.alembic_heads) == {"edge", "central"}
    assert REQUIREMENTS_NAME in manifest.files
    assert any(name.startswith("wheels/chronoedge-") for name in manifest.files)

    unpacked = tmp_path / "unpacked"
    with tarfile.open(bundle) as archive:
        archive.extractall(unpacked, filter="data")
    venv = tmp_path / "release"
    run(sys.executable, "-m", "venv", venv)
    # --isolated: no pip configuration, so the bundle's wheels are the only source.
    pip, *arguments = INSTALL_COMMAND.split()
    run(venv / "bin" / pip, "--isolated", *arguments, cwd=unpacked)

    assert "chrono-edge" in run(venv / "bin" / "chrono-edge", "--help")
    assert f"version {manifest.version}" in run(venv / "bin" / "chrono-edge", "--version")
    database = tmp_path / "edge.db"
    upgraded = run(venv / "bin" / "chrono-edge", "--db", database, "db", "upgrade")
    assert manifest.alembic_heads["edge"] in upgraded
    assert database.exists()
    # The installed tool verifies the bundle it came from (what a box does before an update).
    assert "OK" in run(venv / "bin" / "chrono-ota", "verify", bundle, "--target", TARGET)


def test_a_second_build_differs_only_in_its_build_time(bundle: Path, tmp_path: Path) -> None:
    again = build_bundle(ROOT, get_target(TARGET), tmp_path)
    # built_at has a fixed width, so the archives line up byte for byte around it.
    stamp = re.compile(rb'"built_at": "[^"]+"')
    assert stamp.sub(b"", again.read_bytes()) == stamp.sub(b"", bundle.read_bytes())
