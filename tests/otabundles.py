"""Small release bundles that ``verify_bundle`` accepts, for tests that need no real wheels."""

from __future__ import annotations

from pathlib import Path

from ota.archive import write_tar
from ota.bundle import bundle_name
from ota.manifest import MANIFEST_NAME, Manifest, hash_path
from ota.targets import get_target

TARGET = "linux-aarch64-cp311"


def fake_bundle(
    folder: Path,
    files: dict[str, bytes],
    target: str = TARGET,
    version: str = "0.1.0",
    *,
    name: str = "bundle.tar",
) -> Path:
    """A bundle of ``files`` (name -> bytes) whose manifest lists exactly them."""
    scratch = folder / "scratch"
    entries = {}
    for member, data in files.items():
        path = scratch / member
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entries[member] = hash_path(path)
    manifest = Manifest(
        version=version,
        target=target,
        commit="0" * 40,
        dirty=False,
        built_at="2025-01-01T00:00:00+00:00",
        alembic_heads={"edge": "0006", "central": "c0006"},
        rollback_floor="0.1.0",
        files=entries,
    )
    bundle = folder / name
    write_tar(bundle, {**files, MANIFEST_NAME: manifest.to_json()})
    return bundle


def release_bundle(folder: Path, version: str, target: str = TARGET, payload: bytes = b"") -> Path:
    """A bundle of ``version``, named as ``chrono-ota bundle`` names it; ``payload`` alters it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "requirements.txt": f"chronoedge=={version}\n".encode() + payload,
        f"wheels/chronoedge-{version}-py3-none-any.whl": bytes(range(256)) * 64,
    }
    name = bundle_name(version, get_target(target))
    return fake_bundle(folder, files, target, version, name=name)
