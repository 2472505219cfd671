"""Release bundles of this checkout under another version, for the update tests.

A rollout needs a release to go to: ``variant_bundle`` copies the files git tracks
into a scratch git repository, changes the version in ``pyproject.toml`` (and
applies any other edit, e.g. a serve that fails its health check), commits, and
builds the bundle from there. pip's cache makes a build take seconds after the first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ota.bundle import build_bundle
from ota.targets import get_target

ROOT = Path(__file__).resolve().parents[2]
VERSION_LINE = re.compile(r'^version = "[^"]+"$', re.MULTILINE)


def copy_checkout(destination: Path, source: Path = ROOT) -> Path:
    """The files git tracks in ``source`` (as in the working tree), copied to ``destination``."""
    listing = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-z"], capture_output=True, check=True, text=True
    ).stdout
    for name in filter(None, listing.split("\0")):
        origin = source / name
        if origin.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)
    return destination


def variant_bundle(
    work: Path,
    version: str,
    target: str,
    *,
    edits: Mapping[str, tuple[str, str]] | None = None,
) -> Path:
    """Build the bundle of this checkout as ``version``; ``edits``: path -> (old, new) text.

    Every edit must apply (an old text that is gone would silently build the
    unchanged release and a test would prove nothing).
    """
    tree = copy_checkout(work / f"source-{version}")
    pyproject = tree / "pyproject.toml"
    text, count = VERSION_LINE.subn(f'version = "{version}"', pyproject.read_text(), count=1)
    if count != 1:
        raise ValueError(f"{pyproject}: no version line to change")
    pyproject.write_text(text)
    for name, (old, new) in (edits or {}).items():
        path = tree / name
        content = path.read_text()
        if old not in content:
            raise ValueError(f"{name}: {old!r} not found, the edit would not apply")
        path.write_text(content.replace(old, new, 1))
    _commit(tree, f"chronoedge {version} (test variant)")
    return build_bundle(tree, get_target(target), work / "bundles")


def _commit(tree: Path, message: str) -> None:
    """Make ``tree`` a one-commit git repository (the bundle records its commit)."""
    identity = ["-c", "user.name=tests", "-c", "user.email=tests@chronoedge.invalid"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", message]):
        subprocess.run(["git", "-C", str(tree), *command], check=True, capture_output=True)
