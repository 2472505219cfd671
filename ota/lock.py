"""A lock file made by ``uv pip compile --generate-hashes``: pinned packages and their hashes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ota.errors import BuildFailed

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    """One locked package: its name, exact version and the sha256 of its published files."""

    name: str
    version: str
    hashes: tuple[str, ...]

    @property
    def key(self) -> str:
        """The name normalised as in wheel file names (PEP 503 then underscores)."""
        return normalise(self.name)

    def requirement(self) -> str:
        """The pin as a ``--require-hashes`` requirement line."""
        hashes = " ".join(f"--hash={digest}" for digest in self.hashes)
        return f"{self.name}=={self.version} {hashes}"


def normalise(name: str) -> str:
    """A distribution name as wheel file names spell it (``pydantic-core`` -> ``pydantic_core``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def read_lock(path: Path) -> list[Pin]:
    """Return the pins of a lock file, in file order; every pin must carry its hashes."""
    if not path.is_file():
        raise BuildFailed(f"{path}: no such lock file (make the locks first)")
    pins: list[Pin] = []
    # A pin spans several lines joined by backslashes; comments are not part of it.
    logical = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    for line in logical.splitlines():
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        match = _PIN.match(text)
        if match is None:
            raise BuildFailed(f"{path}: not an exact pin: {text!r}")
        hashes = tuple(_HASH.findall(text))
        if not hashes:
            raise BuildFailed(f"{path}: {match['name']} has no hash (use --generate-hashes)")
        pins.append(Pin(match["name"], match["version"], hashes))
    if not pins:
        raise BuildFailed(f"{path}: the lock file pins nothing")
    return pins
