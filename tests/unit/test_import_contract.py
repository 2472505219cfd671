"""The import contract (.importlinter): it holds on the tree and fails on a bad import."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# What central may import from edge (the rest of edge is forbidden to it by the contract).
SHARED_WITH_CENTRAL = (
    "edge.domain",
    "edge.clock",
    "edge.ids",
    "edge.heartbeat",
    "edge.errors",
    "edge.sealing",
    "edge.web.errors",
    "edge.web.forgery",
    "edge.web.headers",
    "edge.web.i18n",
    "edge.phrase",
    "edge.web.openapi",
    "edge.web.sessions",
    "edge.sync.protocol",
    "edge.sync.columnar",
    "edge.sync.snapshots",
    "edge.web.sync_version",
    "edge.store.database",
    "edge.store.sqlite",
    "edge.store.files",
    "edge.vpn.errors",
    "edge.vpn.peers",
    "edge.vpn.runner",
    "edge.auth.errors",
    "edge.auth.limiter",
    "edge.auth.sessions",
    "edge.auth.session_files",
    "edge.command",
)

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is missing: run make install"
)


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports resolves the packages from its working folder first.
    environment = os.environ | {"PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / ".importlinter"), "--no-cache"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _copy_tree(destination: Path) -> Path:
    for package in ("edge", "central", "ota"):
        shutil.copytree(
            ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(CONFIG, destination / ".importlinter")
    return destination


def _contract(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return parser[f"importlinter:contract:{name}"]


def _edge_modules() -> list[str]:
    modules = []
    for path in sorted((ROOT / "edge").rglob("*.py")):
        if not (path.parent / "__init__.py").exists():
            continue  # not a package (alembic's migrations folder)
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def _covers(entries: list[str], module: str) -> bool:
    return any(module == entry or module.startswith(entry + ".") for entry in entries)


def _is_ancestor(entries: list[str], module: str) -> bool:
    return any(entry.startswith(module + ".") for entry in entries)


def test_the_tree_keeps_the_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        ("edge/timing/_scratch_bad.py", "import edge.web", "edge layers"),
        ("edge/domain/_scratch_bad.py", "from edge.services import events", "edge layers"),
        ("edge/store/_scratch_bad.py", "import central.errors", "never import central"),
        ("central/_scratch_bad.py", "from edge.services import events", "shared contract"),
    ],
)
def test_a_bad_import_breaks_the_contract(
    tmp_path: Path, module: str, bad_import: str, broken: str
) -> None:
    tree = _copy_tree(tmp_path)
    (tree / module).write_text(f"{bad_import}\n", encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert re.search(rf"{broken}.*\n?.*BROKEN", result.stdout), result.stdout


def test_every_module_of_edge_is_in_a_layer() -> None:
    entries = re.split(r"[\s:|]+", _contract("edge-layers")["layers"].strip())
    missing = [
        module
        for module in _edge_modules()
        if module != "edge" and not _covers(entries, module) and not _is_ancestor(entries, module)
    ]
    assert missing == [], "add these modules to a layer in .importlinter"


def test_every_module_of_edge_is_shared_with_central_or_forbidden_to_it() -> None:
    forbidden = _contract("central-shared-contract")["forbidden_modules"].split()
    shared = list(SHARED_WITH_CENTRAL)
    unclassified = [
        module
        for module in _edge_modules()
        if not _covers(forbidden + shared, module) and not _is_ancestor(forbidden + shared, module)
    ]
    assert unclassified == [], "forbid these to central in .importlinter, or share them"
