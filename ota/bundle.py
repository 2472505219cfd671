"""Building a release bundle: the target's wheels, the chronoedge wheel and ``manifest.json``."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from ota.archive import write_tar
from ota.lock import read_lock
from ota.manifest import MANIFEST_NAME, REQUIREMENTS_NAME, WHEELS_FOLDER, Manifest, hash_path
from ota.source import alembic_heads, copy_tree, read_commit, rollback_floor
from ota.targets import Target
from ota.wheels import build_project_wheel, check_complete, download_wheels

DEFAULT_OUTPUT = Path("build")


def bundle_name(version: str, target: Target) -> str:
    """The file name of a bundle: ``chronoedge-<version>-<target>.tar``."""
    return f"chronoedge-{version}-{target.name}.tar"


def build_bundle(source: Path, target: Target, output: Path = DEFAULT_OUTPUT) -> Path:
    """Build the bundle of the checkout at ``source`` for ``target`` into ``output``."""
    source = source.resolve()
    commit = read_commit(source)
    pins = read_lock(source / "locks" / f"{target.name}.txt")
    with tempfile.TemporaryDirectory(prefix="chrono-bundle-") as scratch:
        work = Path(scratch)
        wheels = work / WHEELS_FOLDER
        wheels.mkdir()
        tree = copy_tree(source, work / "source")
        download_wheels(target, pins, wheels)
        check_complete(target, pins, wheels)
        project = build_project_wheel(tree, wheels, epoch=commit.epoch)
        version = project.name.split("-")[1]
        requirements = install_requirements(wheels)
        contents: dict[str, Path | bytes] = {REQUIREMENTS_NAME: requirements}
        contents.update({f"{WHEELS_FOLDER}/{w.name}": w for w in sorted(wheels.glob("*.whl"))})
        files = {name: hash_path(_as_path(work, name, data)) for name, data in contents.items()}
        manifest = Manifest(
            version=version,
            target=target.name,
            commit=commit.sha,
            dirty=commit.dirty,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            alembic_heads=alembic_heads(tree),
            rollback_floor=rollback_floor(tree, version),
            files=files,
        )
        contents[MANIFEST_NAME] = manifest.to_json()
        output.mkdir(parents=True, exist_ok=True)
        bundle = output / bundle_name(version, target)
        write_tar(bundle, contents)
    return bundle


def install_requirements(wheels: Path) -> bytes:
    """``requirements.txt`` pinning every bundled wheel, chronoedge included, to its own hash.

    The lock's hashes cover every file on PyPI; these cover exactly the bundle's, so
    ``pip install --require-hashes`` installs this bundle and nothing else.
    """
    lines = []
    for wheel in sorted(wheels.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        lines.append(f"{name}=={version} --hash=sha256:{hash_path(wheel).sha256}\n")
    return "".join(lines).encode()


def _as_path(work: Path, name: str, data: Path | bytes) -> Path:
    if isinstance(data, Path):
        return data
    path = work / name
    path.write_bytes(data)
    return path
