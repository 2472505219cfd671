"""The lock files: every dependency pinned with hashes, the same versions on every target."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "locks"
TARGETS = ("linux-x86_64-cp311", "linux-aarch64-cp311")
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)")


def pins(path: Path) -> dict[str, str]:
    """Package -> version of a lock file, checking that each pin carries a sha256 hash."""
    found: dict[str, str] = {}
    entries = re.split(r"\n(?=\S)", path.read_text(encoding="utf-8"))
    for entry in entries:
        match = PIN.match(entry)
        if match is None:
            continue
        name = canonicalize_name(match.group(1))
        assert "--hash=sha256:" in entry, f"{path.name}: {name} has no hash"
        found[name] = match.group(2)
    return found


def project() -> dict[str, list[Requirement]]:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        "runtime": [Requirement(r) for r in table["dependencies"]],
        "dev": [Requirement(r) for r in table["optional-dependencies"]["dev"]],
    }


@pytest.mark.parametrize("target", TARGETS)
def test_every_dependency_is_pinned_within_its_range(target: str) -> None:
    wanted = project()
    for lock, groups in (
        (f"{target}.txt", ("runtime",)),
        (f"dev-{target}.txt", ("runtime", "dev")),
    ):
        pinned = pins(LOCKS / lock)
        for group in groups:
            for requirement in wanted[group]:
                name = canonicalize_name(requirement.name)
                assert name in pinned, f"{lock}: {name} is not locked (make lock)"
                assert requirement.specifier.contains(pinned[name], prereleases=True), (
                    f"{lock}: {name}=={pinned[name]} is outside {requirement.specifier}"
                )


def test_a_box_central_and_the_tests_run_the_same_versions() -> None:
    runtime = {target: pins(LOCKS / f"{target}.txt") for target in TARGETS}
    assert runtime["linux-aarch64-cp311"] == runtime["linux-x86_64-cp311"]
    for target in TARGETS:
        dev = pins(LOCKS / f"dev-{target}.txt")
        assert {name: dev[name] for name in runtime[target]} == runtime[target]
