"""The lock files: every dependency pinned with hashes, the same versions on every target."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ota.targets import get_target

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


def wanted_on(target: str, requirement: Requirement) -> bool:
    """Whether ``requirement``'s environment marker (if any) selects ``target``."""
    if requirement.marker is None:
        return True
    arch = get_target(target).arch
    return requirement.marker.evaluate({"sys_platform": "linux", "platform_machine": arch})


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
                if not wanted_on(target, requirement):
                    assert name not in pinned, f"{lock}: {name} is not for {target}"
                    continue
                assert name in pinned, f"{lock}: {name} is not locked (make lock)"
                assert requirement.specifier.contains(pinned[name], prereleases=True), (
                    f"{lock}: {name}=={pinned[name]} is outside {requirement.specifier}"
                )


def test_a_box_central_and_the_tests_run_the_same_versions() -> None:
    runtime = {target: pins(LOCKS / f"{target}.txt") for target in TARGETS}
    box, central = runtime["linux-aarch64-cp311"], runtime["linux-x86_64-cp311"]
    assert {name: box[name] for name in central} == central
    # Only what pyproject.toml asks for on the Pi alone (lgpio, for gpiozero) is extra.
    pi_only = {
        canonicalize_name(requirement.name)
        for requirement in project()["runtime"]
        if not wanted_on("linux-x86_64-cp311", requirement)
    }
    assert set(box) - set(central) == pi_only
    assert "lgpio" in pi_only
    for target in TARGETS:
        dev = pins(LOCKS / f"dev-{target}.txt")
        assert {name: dev[name] for name in runtime[target]} == runtime[target]


@pytest.mark.parametrize(
    "lock", [*(f"{t}.txt" for t in TARGETS), *(f"dev-{t}.txt" for t in TARGETS)]
)
def test_each_lock_was_resolved_for_the_glibc_its_bundle_accepts(lock: str) -> None:
    header = (LOCKS / lock).read_text(encoding="utf-8").splitlines()[1]
    platform = re.search(r"--python-platform (\S+)", header)
    assert platform is not None, f"{lock}: no --python-platform in {header!r}"
    target = get_target(lock.removeprefix("dev-").removesuffix(".txt"))
    assert platform[1] == f"{target.arch}-manylinux_2_{target.glibc_minor}"
