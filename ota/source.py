"""What a bundle records about the source tree it is built from: commit, migrations, rollback."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory

from ota.errors import BuildFailed

# Where each application keeps its Alembic migrations, relative to the source tree.
MIGRATIONS = {
    "edge": Path("edge/store/migrations"),
    "central": Path("central/store/migrations"),
}


@dataclass(frozen=True)
class Commit:
    """The git commit a bundle is built from, and whether the tree differed from it."""

    sha: str
    dirty: bool
    epoch: int


def read_commit(source: Path) -> Commit:
    """Return HEAD of the checkout at ``source``; untracked files make the tree dirty too."""
    sha = _git(source, "rev-parse", "HEAD")
    status = _git(source, "status", "--porcelain")
    epoch = int(_git(source, "log", "-1", "--format=%ct", "HEAD"))
    return Commit(sha=sha, dirty=bool(status), epoch=epoch)


def copy_tree(source: Path, destination: Path) -> Path:
    """Copy the files git would see (tracked or not ignored) into ``destination``.

    A wheel built in place would pick up stale files from ``build/`` or an egg-info.
    """
    listing = _git(source, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in sorted(set(filter(None, listing.split("\0")))):
        origin = source / name
        if not origin.is_file():  # deleted in the working tree, still in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
    return destination


def alembic_heads(source: Path) -> dict[str, str]:
    """The one Alembic head revision of edge and of central, read from their migrations."""
    heads: dict[str, str] = {}
    for app, folder in MIGRATIONS.items():
        found = ScriptDirectory(str(source / folder)).get_heads()
        if len(found) != 1:
            raise BuildFailed(f"{folder}: {len(found)} Alembic heads, expected one (merge them)")
        heads[app] = found[0]
    return heads


def rollback_floor(source: Path, version: str) -> str:
    """The oldest version this release may be rolled back to (``[tool.chronoedge]``).

    Without a ``rollback-floor`` setting it is the version itself: no older release
    is promised to run on the schema this one's migrations leave behind.
    """
    pyproject = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    floor = pyproject.get("tool", {}).get("chronoedge", {}).get("rollback-floor", version)
    if not isinstance(floor, str) or not floor:
        raise BuildFailed("pyproject.toml: [tool.chronoedge] rollback-floor must be a version")
    return floor


def _git(source: Path, *arguments: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(source), *arguments],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise BuildFailed(f"{source}: git {arguments[0]} failed ({detail.strip()})") from error
    return result.stdout.strip() if arguments[-1] != "-z" else result.stdout
