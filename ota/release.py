"""Installing a verified bundle as ``releases/<version>``: unpack, venv, offline pip, rename.

The rules are the role's (ansible/roles/chronoedge_box/tasks/release.yml), in Python
for the installer: the wheels are installed offline and pinned to their hashes
(``pip install --no-index --require-hashes``), bytecode is compiled once by every CPU
(compileall -j 0), the release must answer ``chrono-edge --version`` with its version,
the marker ``.installed`` holds the sha256 of the bundle's manifest.json (the same
bundle is installed once), the release is made read-only, and a running release is
never replaced by another build of its version.

Unlike the role, the venv is built in ``releases/<version>.partial`` and renamed when
complete: ``releases/<version>`` either is a whole release or does not exist, whatever
kills the installer. A venv's scripts name their interpreter by absolute path, so they
are pointed at the final folder before the rename.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from edge.store.files import move_into_place, write_atomic
from ota.errors import InstallFailed
from ota.failpoint import failpoint
from ota.layout import Layout
from ota.manifest import MANIFEST_NAME, REQUIREMENTS_NAME, WHEELS_FOLDER

MARKER = ".installed"
PARTIAL = ".partial"
PIP_TIMEOUT_S = 900


def manifest_sha256(bundle: Path) -> str:
    """The sha256 of the bundle's manifest.json bytes (what the marker records)."""
    with tarfile.open(bundle, "r:") as archive:
        stream = archive.extractfile(MANIFEST_NAME)
        if stream is None:
            raise InstallFailed(f"{bundle.name}: no {MANIFEST_NAME}")
        return hashlib.sha256(stream.read()).hexdigest()


def installed_from(release: Path) -> str | None:
    """The manifest sha256 a complete release was installed from (None: not complete)."""
    try:
        return (release / MARKER).read_text().strip()
    except OSError:
        return None


def install_release(layout: Layout, bundle: Path, version: str) -> Path:
    """Install ``bundle`` (already verified) as ``releases/<version>``; idempotent.

    The same bundle installed before is kept as it is; another build of a version
    that is not running replaces it; another build of the running one is refused.
    """
    final = layout.release(version)
    wanted = manifest_sha256(bundle)
    if final.exists():
        if installed_from(final) == wanted:
            return final
        if layout.linked_version(layout.current) == version:
            raise InstallFailed(
                f"release {version} is running on this box and {bundle.name} is another build "
                "of it: give the new build its own version instead of replacing a running release"
            )
        remove_tree(final)
    layout.releases.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(version + PARTIAL)
    unpacked = layout.unpack_dir / version
    remove_tree(partial)
    remove_tree(unpacked)
    unpack(bundle, unpacked)
    _run([str(layout.settings.venv_python), "-m", "venv", str(partial)])
    _pip_install(partial, unpacked)
    failpoint("unpack")
    _point_scripts_at(partial, final)
    _run(
        [
            *(str(partial / "bin" / "python"), "-m", "compileall", "-q", "-j", "0"),
            *("-s", str(partial), "-p", str(final), str(partial / "lib")),
        ]
    )
    # -I: this release's own packages, not a checkout in the working folder or PYTHONPATH.
    answered = _run([str(partial / "bin" / "python"), "-I", "-m", "edge.cli", "--version"])
    if version not in answered:
        raise InstallFailed(f"the installed release says {answered.strip()!r}, not {version}")
    write_atomic(partial / MARKER, wanted + "\n", mode=0o444)
    make_read_only(partial)
    move_into_place(partial, final)
    remove_tree(unpacked)
    return final


def unpack(bundle: Path, destination: Path) -> None:
    """Extract the bundle's plain files, refusing anything else (a link, a path outside).

    By hand rather than extractall(filter="data"): Debian bookworm's Python 3.11.2 (a
    box's) predates extraction filters.
    """
    destination.mkdir(parents=True)
    with tarfile.open(bundle, "r:") as archive:
        for member in archive:
            name = PurePosixPath(member.name)
            if not member.isfile() or name.is_absolute() or ".." in name.parts:
                raise InstallFailed(f"{bundle.name}: {member.name} is not a plain file inside it")
            stream = archive.extractfile(member)
            assert stream is not None  # a regular file always has a stream
            target = destination.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                shutil.copyfileobj(stream, out)


def _pip_install(venv: Path, unpacked: Path) -> None:
    # --isolated: no pip configuration of root's, so the bundle's wheels are the only source.
    _run(
        [
            *(str(venv / "bin" / "pip"), "--isolated", "install", "--no-compile", "--no-index"),
            *("--no-cache-dir", "--disable-pip-version-check", "--find-links", WHEELS_FOLDER),
            *("--require-hashes", "-r", REQUIREMENTS_NAME),
        ],
        cwd=unpacked,
    )


def _point_scripts_at(venv: Path, final: Path) -> None:
    """Rewrite the scripts' ``#!<venv>/bin/python`` lines to the folder the venv moves to."""
    old, new = f"#!{venv}/bin/".encode(), f"#!{final}/bin/".encode()
    for script in (venv / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        content = script.read_bytes()
        if content.startswith(old):
            mode = stat.S_IMODE(script.stat().st_mode)
            write_atomic(script, new + content[len(old) :], mode=mode)


def make_read_only(folder: Path) -> None:
    """Remove every write bit under ``folder`` (the role's ``mode: a-w``)."""
    for root, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    folder.chmod(stat.S_IMODE(folder.stat().st_mode) & ~0o222)


def remove_tree(path: Path) -> None:
    """Remove a folder, read-only or half written (or a stray file or link), if present."""
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    if not path.exists():
        return

    def writable_then_retry(function: Callable[[str], object], name: str, _: object) -> None:
        # A read-only release (not root, in development): let its folder be written, retry.
        Path(name).parent.chmod(0o755)
        function(name)

    shutil.rmtree(path, onerror=writable_then_retry)


def _run(command: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallFailed(f"{Path(command[0]).name} failed: {error}") from error
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise InstallFailed(f"{' '.join(command[:4])} failed:\n{tail}")
    return done.stdout
