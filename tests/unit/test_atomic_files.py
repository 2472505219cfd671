"""The one atomic writer: content and mode, no temporary file left, and nobody else renames."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

from edge.store import files
from edge.store.files import create_atomic, write_atomic

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("edge", "central", "ota")
WRITER = ROOT / "edge" / "store" / "files.py"


def test_the_file_gets_its_content_and_mode(tmp_path: Path) -> None:
    path = write_atomic(tmp_path / "deep" / "reader.json", "{}\n", 0o600)
    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    write_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["reader.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_atomic(tmp_path / "admin.json", "old")

    def refuse(source: object, target: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["admin.json"]


def test_create_never_replaces_an_existing_file(tmp_path: Path) -> None:
    path = create_atomic(tmp_path / "admin.json", "first", 0o600)
    with pytest.raises(FileExistsError):
        create_atomic(path, "second", 0o600)
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["admin.json"]


def _renames(source: Path) -> list[str]:
    """Calls in ``source`` that rename or replace a file."""
    found = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.ImportFrom) and node.module in {"os", "shutil"}:
            names = {a.name for a in node.names} & {"replace", "rename", "renames", "move"}
            found += [f"{source}:{node.lineno}: from {node.module} import {n}" for n in names]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        module = owner.id if isinstance(owner, ast.Name) else ""
        renames = (
            name in {"rename", "renames"}
            or (module == "shutil" and name == "move")
            or (module == "os" and name == "replace")
            # Path.replace(target): one argument, no keywords (str.replace takes two,
            # datetime.replace and dataclasses.replace take keywords).
            or (name == "replace" and len(node.args) == 1 and not node.keywords)
        )
        if renames:
            found.append(f"{source}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_nothing_but_the_atomic_writer_renames_a_file() -> None:
    sources = [p for folder in SOURCES for p in sorted((ROOT / folder).rglob("*.py"))]
    offenders = [hit for path in sources if path != WRITER for hit in _renames(path)]
    assert offenders == [], "write files with edge.store.files.write_atomic"


def test_the_check_catches_a_hand_written_rename(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch.py"
    scratch.write_text(
        "import os\nfrom pathlib import Path\n"
        "os.replace('a', 'b')\nPath('a').rename('b')\nPath('a').replace(Path('b'))\n"
        "'text'.replace('a', 'b')\n"
    )
    assert len(_renames(scratch)) == 3
    assert len(_renames(WRITER)) == 1  # the one rename of the box, in write_atomic's module


def test_the_writer_syncs_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    write_atomic(tmp_path / "a.json", "{}")
    assert len(synced) == 2  # the temporary file, then the folder holding the rename
