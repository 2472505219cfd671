"""``chrono-ota verify``: a sound bundle passes; a damaged or foreign one is refused by name."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ota.archive import write_tar
from ota.cli import cli
from ota.errors import BundleRefused
from ota.manifest import MANIFEST_NAME, Manifest
from ota.verify import verify_bundle
from tests.otabundles import TARGET, fake_bundle

WHEEL = "wheels/demo-1.0-cp311-cp311-manylinux_2_28_aarch64.whl"


@pytest.fixture
def files() -> dict[str, bytes]:
    return {
        "requirements.txt": b"demo==1.0 --hash=sha256:00\n",
        WHEEL: bytes(range(256)) * 40,
        "wheels/chronoedge-0.1.0-py3-none-any.whl": b"pure python" * 100,
    }


@pytest.fixture
def bundle(tmp_path: Path, files: dict[str, bytes]) -> Path:
    return fake_bundle(tmp_path, files)


def refusal(bundle: Path, target: str | None = None) -> BundleRefused:
    with pytest.raises(BundleRefused) as caught:
        verify_bundle(bundle, target)
    return caught.value


def test_a_sound_bundle_passes_and_gives_its_manifest(bundle: Path) -> None:
    manifest = verify_bundle(bundle, TARGET)
    assert manifest.target == TARGET
    assert manifest.alembic_heads == {"edge": "0006", "central": "c0006"}
    assert len(manifest.files) == 3


def test_the_manifest_reads_back_what_was_written(bundle: Path) -> None:
    with tarfile.open(bundle) as archive:
        raw = archive.extractfile(MANIFEST_NAME).read()  # type: ignore[union-attr]
    assert Manifest.from_json(raw).to_json() == raw


def test_the_same_files_make_the_same_bytes(tmp_path: Path, files: dict[str, bytes]) -> None:
    first = fake_bundle(tmp_path / "a", files).read_bytes()
    second = fake_bundle(tmp_path / "b", dict(reversed(files.items()))).read_bytes()
    assert first == second


def test_members_are_sorted_with_fixed_owner_mode_and_time(bundle: Path) -> None:
    with tarfile.open(bundle) as archive:
        members = archive.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(315532800, 0, 0, 0o644)}


def test_a_tampered_byte_is_refused_naming_the_file(bundle: Path, files: dict[str, bytes]) -> None:
    data = bytearray(bundle.read_bytes())
    offset = data.index(files[WHEEL][:64]) + 1000
    data[offset] ^= 0xFF
    bundle.write_bytes(bytes(data))
    error = refusal(bundle)
    assert error.file == WHEEL
    assert "sha256" in str(error)


@pytest.mark.parametrize("cut", [0.7, 0.4, 0.01, 512 / 20480])
def test_a_truncated_bundle_is_refused(bundle: Path, cut: float) -> None:
    data = bundle.read_bytes()
    assert len(data) == 20480
    bundle.write_bytes(data[: len(data) - int(len(data) * cut)])
    error = refusal(bundle)
    assert error.file in {WHEEL, "wheels/chronoedge-0.1.0-py3-none-any.whl", bundle.name}
    assert "truncated" in str(error) or "missing" in str(error)


def test_a_bundle_cut_at_a_file_boundary_is_refused(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    bundle = fake_bundle(tmp_path, files)
    with tarfile.open(bundle) as archive:
        last = archive.getmembers()[-1]
    bundle.write_bytes(bundle.read_bytes()[: last.offset])
    assert refusal(bundle).file == last.name


def test_a_missing_file_is_refused_naming_it(bundle: Path, tmp_path: Path) -> None:
    with tarfile.open(bundle) as archive:
        kept = {m.name: archive.extractfile(m).read() for m in archive if m.name != WHEEL}  # type: ignore[union-attr]
    write_tar(bundle, kept)
    error = refusal(bundle)
    assert error.file == WHEEL
    assert "missing" in str(error)


def test_an_extra_file_is_refused_naming_it(bundle: Path) -> None:
    with tarfile.open(bundle) as archive:
        kept = {m.name: archive.extractfile(m).read() for m in archive}  # type: ignore[union-attr]
    write_tar(bundle, {**kept, "wheels/evil-1.0-py3-none-any.whl": b"x"})
    error = refusal(bundle)
    assert error.file == "wheels/evil-1.0-py3-none-any.whl"
    assert "not listed" in str(error)


def test_a_bundle_for_another_target_is_refused(bundle: Path) -> None:
    error = refusal(bundle, "linux-x86_64-cp311")
    assert error.file == MANIFEST_NAME
    assert "linux-aarch64-cp311" in str(error)


def test_a_wheel_for_another_cpu_is_refused_naming_it(tmp_path: Path) -> None:
    intel = "wheels/demo-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    bundle = fake_bundle(tmp_path, {intel: b"x86 code"})
    assert refusal(bundle).file == intel


def test_a_manifest_without_a_field_is_refused(bundle: Path) -> None:
    with tarfile.open(bundle) as archive:
        kept = {m.name: archive.extractfile(m).read() for m in archive}  # type: ignore[union-attr]
    kept[MANIFEST_NAME] = kept[MANIFEST_NAME].replace(b'"commit"', b'"kommit"')
    write_tar(bundle, kept)
    error = refusal(bundle)
    assert error.file == MANIFEST_NAME
    assert "commit" in str(error)


def test_not_a_tar_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"<html>404</html>")
    assert refusal(junk).file == "junk.tar"


def test_the_command_line_reports_a_refusal_without_a_traceback(bundle: Path) -> None:
    runner = CliRunner()
    sound = runner.invoke(cli, ["verify", str(bundle), "--target", TARGET])
    assert sound.exit_code == 0, sound.output
    assert "OK" in sound.output
    wrong = runner.invoke(cli, ["verify", str(bundle), "--target", "linux-x86_64-cp311"])
    assert wrong.exit_code == 1
    assert "error: manifest.json: the bundle is for linux-aarch64-cp311" in wrong.output
    assert "Traceback" not in wrong.output
