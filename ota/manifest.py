"""``manifest.json``: what a release bundle holds, where it comes from, and every file's hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from ota.errors import BundleRefused

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
REQUIREMENTS_NAME = "requirements.txt"
WHEELS_FOLDER = "wheels"
# The one command that installs an unpacked bundle, offline, into the active venv.
INSTALL_COMMAND = (
    f"pip install --no-index --find-links {WHEELS_FOLDER} --require-hashes -r {REQUIREMENTS_NAME}"
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    """The sha256 and size in bytes of one file of the bundle."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """The contents of ``manifest.json``."""

    version: str
    target: str
    commit: str
    dirty: bool
    built_at: str
    alembic_heads: dict[str, str]
    rollback_floor: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    name: str = "chronoedge"
    install: str = INSTALL_COMMAND

    def to_json(self) -> bytes:
        """The manifest as sorted, indented JSON (stable bytes for the same contents)."""
        data = asdict(self)
        data["files"] = dict(sorted(data["files"].items()))
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse ``manifest.json``; refuse it (naming it) if a field is missing or malformed."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BundleRefused(MANIFEST_NAME, f"not JSON ({error})") from None
        if not isinstance(data, dict):
            raise BundleRefused(MANIFEST_NAME, "not a JSON object")
        if data.get("format") != FORMAT_VERSION:
            raise BundleRefused(
                MANIFEST_NAME, f"format {data.get('format')!r}, this tool reads {FORMAT_VERSION}"
            )
        try:
            files = {
                _text(path): FileEntry(_text(entry["sha256"]), _count(entry["size"]))
                for path, entry in _mapping(data["files"]).items()
            }
            return cls(
                version=_text(data["version"]),
                target=_text(data["target"]),
                commit=_text(data["commit"]),
                dirty=_flag(data["dirty"]),
                built_at=_text(data["built_at"]),
                alembic_heads={k: _text(v) for k, v in _mapping(data["alembic_heads"]).items()},
                rollback_floor=_text(data["rollback_floor"]),
                files=files,
                name=_text(data["name"]),
                install=_text(data["install"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BundleRefused(MANIFEST_NAME, f"missing or malformed field {error}") from None


def hash_file(stream: IO[bytes]) -> FileEntry:
    """Hash a stream to its end, in chunks (wheels are megabytes)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return FileEntry(sha256=digest.hexdigest(), size=size)


def hash_path(path: Path) -> FileEntry:
    """Hash the file at ``path``."""
    with path.open("rb") as stream:
        return hash_file(stream)


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a size in bytes, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value
