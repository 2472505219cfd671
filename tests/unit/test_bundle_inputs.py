"""What a bundle is built from: the lock's pins, the target's wheel tags, pip's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from ota.errors import BuildFailed, NoWheelForTarget, UnknownTarget
from ota.lock import read_lock
from ota.targets import get_target
from ota.wheels import missing_wheel

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("target", ["linux-aarch64-cp311", "linux-x86_64-cp311"])
def test_every_committed_lock_pins_hashed_exact_versions(target: str) -> None:
    pins = read_lock(ROOT / "locks" / f"{target}.txt")
    names = {pin.key for pin in pins}
    assert {"sllurp", "pydantic_core", "litestar"} <= names
    assert all(pin.hashes for pin in pins)


def test_a_pin_without_a_hash_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("click==8.1.7\n    # via chronoedge\n")
    with pytest.raises(BuildFailed, match="click has no hash"):
        read_lock(lock)


@pytest.mark.parametrize(
    ("wheel", "runs"),
    [
        ("sllurp-3.0.5-py3-none-any.whl", True),
        ("cryptography-50.0.2-cp311-abi3-manylinux_2_28_aarch64.whl", True),
        ("pyyaml-6.0.4-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl", True),
        ("pyyaml-6.0.4-cp311-cp311-manylinux_2_17_x86_64.whl", False),
        ("pyyaml-6.0.4-cp312-cp312-manylinux_2_17_aarch64.whl", False),
        ("pyyaml-6.0.4-cp311-cp311-musllinux_1_1_aarch64.whl", False),
        # lgpio publishes manylinux_2_34 only: bookworm's glibc 2.36 runs it, not a newer one.
        ("lgpio-0.2.2.0-cp311-cp311-manylinux_2_34_aarch64.whl", True),
        ("lgpio-0.2.2.0-cp311-cp311-manylinux_2_38_aarch64.whl", False),
        ("lgpio-0.2.2.0-cp311-cp311-linux_armv7l.whl", False),
        ("demo-1.0-cp311-cp311-manylinux1_aarch64.whl", True),
    ],
)
def test_the_pi_target_accepts_only_wheels_that_run_on_it(wheel: str, runs: bool) -> None:
    assert get_target("linux-aarch64-cp311").accepts(wheel) is runs


def test_each_target_asks_pip_for_its_own_glibc_range() -> None:
    pi, central = get_target("linux-aarch64-cp311"), get_target("linux-x86_64-cp311")
    assert pi.platforms[0] == "manylinux_2_36_aarch64"
    assert central.platforms[0] == "manylinux_2_28_x86_64"
    assert not central.accepts("lgpio-0.2.2.0-cp311-cp311-manylinux_2_34_x86_64.whl")


def test_an_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(UnknownTarget, match="linux-aarch64-cp311, linux-x86_64-cp311"):
        get_target("linux-armv7l-cp311")


def test_pips_refusal_names_the_package_without_a_wheel(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "Py-Yaml==6.0 --hash=sha256:" + "a" * 64 + "\nclick==8.1.7 --hash=sha256:" + "b" * 64 + "\n"
    )
    pins = read_lock(lock)
    stderr = (
        "ERROR: Could not find a version that satisfies the requirement py_yaml==6.0 "
        "(from versions: none)\nERROR: No matching distribution found for py_yaml==6.0\n"
    )
    assert missing_wheel(stderr, pins) == pins[0]
    assert missing_wheel("ERROR: THESE PACKAGES DO NOT MATCH THE HASHES", pins) is None


def test_a_compiled_package_without_a_wheel_is_a_clear_error() -> None:
    error = NoWheelForTarget("asyncpg", "linux-aarch64-cp311", "its sdist holds compiled code")
    assert str(error).startswith("asyncpg: no wheel for linux-aarch64-cp311")
    assert "locks/linux-aarch64-cp311.txt" in str(error)
