"""The box's serial: Raspberry Pi serial first, then the device tree, then the machine id."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.fleet.identity import device_serial

CPUINFO_PI = """processor\t: 3
BogoMIPS\t: 108.00
Hardware\t: BCM2835
Revision\t: c03115
Serial\t\t: 10000000A1B2C3D4
Model\t\t: Raspberry Pi 4 Model B Rev 1.5
"""


def test_the_pi_serial_wins(tmp_path: Path):
    (tmp_path / "cpuinfo").write_text(CPUINFO_PI)
    (tmp_path / "machine-id").write_text("0f1e2d3c4b5a69788796a5b4c3d2e1f0\n")
    serial = device_serial(tmp_path / "cpuinfo", tmp_path / "none", tmp_path / "machine-id")
    assert serial == "10000000a1b2c3d4"


def test_device_tree_then_machine_id(tmp_path: Path):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nSerial\t\t: 0000000000000000\n")
    (tmp_path / "serial-number").write_bytes(b"10000000deadbeef\x00")
    (tmp_path / "machine-id").write_text("0F1E2D3C4B5A69788796A5B4C3D2E1F0\n")
    paths = (tmp_path / "cpuinfo", tmp_path / "serial-number", tmp_path / "machine-id")
    assert device_serial(*paths) == "10000000deadbeef"
    (tmp_path / "serial-number").unlink()
    assert device_serial(*paths) == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_no_identity_at_all_is_an_error(tmp_path: Path):
    with pytest.raises(RuntimeError, match="machine-id"):
        device_serial(tmp_path / "a", tmp_path / "b", tmp_path / "c")
