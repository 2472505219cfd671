"""Collecting a target's wheels with pip: downloaded for the target, or built when pure Python."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ota.errors import BuildFailed, NoWheelForTarget
from ota.lock import Pin, normalise
from ota.targets import Target

_NO_DISTRIBUTION = re.compile(r"No matching distribution found for (?P<name>[A-Za-z0-9._-]+)")


def run_pip(arguments: Sequence[str], *, env: dict[str, str] | None = None) -> str:
    """Run pip of this interpreter; return its stderr, raise BuildFailed with its tail."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--no-input", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        raise BuildFailed(f"pip {arguments[0]} failed:\n{_tail(result.stderr)}")
    return result.stderr


def download_wheels(target: Target, pins: Sequence[Pin], destination: Path) -> None:
    """Put one wheel per pin for ``target`` in ``destination``, checked against the lock."""
    pending = list(pins)
    while pending:
        try:
            _download(target, pending, destination)
            return
        except BuildFailed as error:
            pin = missing_wheel(str(error), pending)
            if pin is None:
                raise
        # No wheel for the target: a pure-Python sdist still makes a wheel that runs there.
        build_pure_wheel(target, pin, destination)
        pending.remove(pin)


def _download(target: Target, pins: Sequence[Pin], destination: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("".join(f"{pin.requirement()}\n" for pin in pins))
        arguments = ["download", "--only-binary=:all:", "--no-deps", "--require-hashes"]
        arguments += [f"--platform={platform}" for platform in target.platforms]
        arguments += [
            f"--python-version={target.python_version}",
            "--implementation=cp",
            *(f"--abi={abi}" for abi in target.abis),
            "-r",
            str(requirements),
            "-d",
            str(destination),
        ]
        run_pip(arguments)


def missing_wheel(stderr: str, pins: Sequence[Pin]) -> Pin | None:
    """The pin pip found no wheel for, from its error message (None if that was not the cause)."""
    match = _NO_DISTRIBUTION.search(stderr)
    if match is None:
        return None
    wanted = normalise(match["name"])
    return next((pin for pin in pins if pin.key == wanted), None)


def build_pure_wheel(target: Target, pin: Pin, destination: Path) -> Path:
    """Build ``pin`` from its sdist (hash-checked); refuse it unless the wheel is pure Python."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        requirements = folder / "requirements.txt"
        requirements.write_text(f"{pin.requirement()}\n")
        try:
            run_pip(
                [
                    *("download", "--no-binary=:all:", "--no-deps", "--require-hashes"),
                    *("-r", str(requirements), "-d", str(folder / "sdist")),
                ]
            )
            sdists = list((folder / "sdist").iterdir())
            run_pip(["wheel", "--no-deps", "-w", str(folder / "wheel"), str(sdists[0])])
        except BuildFailed as error:
            raise NoWheelForTarget(pin.name, target.name, "and its sdist did not build") from error
        (wheel,) = (folder / "wheel").glob("*.whl")
        if not wheel.name.endswith("-none-any.whl"):
            raise NoWheelForTarget(pin.name, target.name, "its sdist holds compiled code")
        built = destination / wheel.name
        shutil.copyfile(wheel, built)
        return built


def build_project_wheel(source: Path, destination: Path, *, epoch: int) -> Path:
    """Build the chronoedge wheel from ``source`` (pure Python) into ``destination``."""
    # SOURCE_DATE_EPOCH fixes the zip timestamps: the same tree gives the same wheel.
    env = os.environ | {"SOURCE_DATE_EPOCH": str(epoch)}
    before = set(destination.glob("*.whl"))
    run_pip(["wheel", "--no-deps", "-w", str(destination), str(source)], env=env)
    built = set(destination.glob("*.whl")) - before
    if len(built) != 1:
        raise BuildFailed(f"pip wheel built {len(built)} wheels from {source}, expected one")
    return built.pop()


def check_complete(target: Target, pins: Sequence[Pin], folder: Path) -> None:
    """Every pin has exactly one wheel in ``folder``, and every wheel runs on ``target``."""
    by_name: dict[str, list[str]] = {}
    for wheel in folder.glob("*.whl"):
        if not target.accepts(wheel.name):
            raise BuildFailed(f"{wheel.name}: this wheel does not run on {target.name}")
        by_name.setdefault(normalise(wheel.name.split("-")[0]), []).append(wheel.name)
    for pin in pins:
        found = by_name.get(pin.key, [])
        if len(found) != 1:
            raise BuildFailed(f"{pin.name}: expected one wheel, pip left {found or 'none'}")


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
