"""Verifying a release bundle before it is installed: manifest, target, every file's hash."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from ota.errors import BundleRefused
from ota.manifest import MANIFEST_NAME, WHEELS_FOLDER, Manifest, hash_file
from ota.targets import TARGETS, get_target

# A tar ends with two zero blocks, padded to whole records (10 KiB, as tar and Python
# write them): a shorter tail means the download stopped early, even past the last file.
_END_OF_ARCHIVE = 2 * tarfile.BLOCKSIZE


def verify_bundle(path: Path, target: str | None = None) -> Manifest:
    """Check ``path`` file by file against its manifest; raise BundleRefused naming the culprit."""
    try:
        with tarfile.open(path, "r:") as archive:
            manifest, end = _check_archive(archive, target)
    except (OSError, tarfile.TarError) as error:
        raise BundleRefused(path.name, f"not a readable tar archive ({error})") from None
    _check_end(path, end)
    return manifest


def _check_archive(archive: tarfile.TarFile, target: str | None) -> tuple[Manifest, int]:
    """Check every member; return the manifest and where the members end."""
    members = iter(archive)
    manifest = _read_manifest(archive, members)
    if target is not None and manifest.target != target:
        get_target(target)
        raise BundleRefused(MANIFEST_NAME, f"the bundle is for {manifest.target}, not for {target}")
    _check_wheel_tags(manifest)
    seen = {MANIFEST_NAME}
    for member in members:
        _check_member(manifest, member, seen)
        seen.add(member.name)
        _check_content(archive, member, manifest)
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BundleRefused(missing[0], "listed in the manifest but missing from the bundle")
    return manifest, archive.offset


def _read_manifest(archive: tarfile.TarFile, members: Iterator[tarfile.TarInfo]) -> Manifest:
    try:
        first = next(members, None)
    except tarfile.TarError as error:
        raise BundleRefused(MANIFEST_NAME, f"unreadable ({error})") from None
    if first is None or first.name != MANIFEST_NAME or not first.isfile():
        raise BundleRefused(MANIFEST_NAME, "missing: it must be the bundle's first file")
    return Manifest.from_json(_read(archive, first))


def _check_wheel_tags(manifest: Manifest) -> None:
    # The manifest is not signed yet: a wheel for another CPU must not hide behind its target.
    if manifest.target not in TARGETS:
        raise BundleRefused(MANIFEST_NAME, f"unknown target {manifest.target!r}")
    target = TARGETS[manifest.target]
    for name in manifest.files:
        if name.startswith(f"{WHEELS_FOLDER}/") and not target.accepts(name.split("/", 1)[1]):
            raise BundleRefused(name, f"this wheel does not run on {target.name}")


def _check_member(manifest: Manifest, member: tarfile.TarInfo, seen: set[str]) -> None:
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or not member.isfile():
        raise BundleRefused(name, "not a plain file inside the bundle")
    if name in seen:
        raise BundleRefused(name, "appears twice in the bundle")
    if name not in manifest.files:
        raise BundleRefused(name, "in the bundle but not listed in the manifest")


def _check_content(archive: tarfile.TarFile, member: tarfile.TarInfo, manifest: Manifest) -> None:
    expected = manifest.files[member.name]
    stream = archive.extractfile(member)
    assert stream is not None  # a regular file always has a stream
    try:
        actual = hash_file(stream)
    except (OSError, tarfile.TarError) as error:
        raise BundleRefused(member.name, f"cut short, the bundle is truncated ({error})") from None
    if actual.size != expected.size:
        raise BundleRefused(member.name, f"{actual.size} bytes, the manifest says {expected.size}")
    if actual.sha256 != expected.sha256:
        raise BundleRefused(member.name, "its sha256 differs from the manifest: it was altered")


def _check_end(path: Path, end: int) -> None:
    with path.open("rb") as stream:
        stream.seek(end)
        tail = stream.read()
    if len(tail) < _END_OF_ARCHIVE or tail.strip(b"\0") or (end + len(tail)) % tarfile.RECORDSIZE:
        raise BundleRefused(path.name, "the archive does not end properly: it is truncated")


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = archive.extractfile(member)
    assert stream is not None  # a regular file always has a stream
    try:
        return stream.read()
    except (OSError, tarfile.TarError) as error:
        raise BundleRefused(member.name, f"cut short, the bundle is truncated ({error})") from None
