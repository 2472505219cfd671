"""The setup PIN: fresh digits, private files, kept across restarts, spent by the claim."""

from __future__ import annotations

import stat
from pathlib import Path

from edge.auth.pin import (
    BOOT_PIN_FILE,
    PIN_DIGITS,
    PIN_FILE,
    ensure_pin,
    find_boot_folder,
    new_pin,
    read_pin,
    remove_pin,
)


def test_a_pin_is_eight_random_digits():
    pins = {new_pin() for _ in range(200)}
    assert all(len(p) == PIN_DIGITS == 8 and p.isdigit() for p in pins)
    assert len(pins) > 190  # 10^8 possibilities: repeats would mean no randomness


def test_the_pin_file_is_private_and_reused_after_a_restart(tmp_path: Path):
    folder = tmp_path / "etc"
    pin = ensure_pin(folder, None)
    path = folder / PIN_FILE
    assert path.read_text() == pin + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_pin(folder, None) == pin  # the console and the file keep agreeing
    assert read_pin(folder) == pin
    assert [p.name for p in folder.iterdir()] == [PIN_FILE]  # no temporary file left


def test_a_damaged_pin_file_is_replaced(tmp_path: Path):
    (tmp_path / PIN_FILE).write_text("12ab\n")
    assert read_pin(tmp_path) is None
    pin = ensure_pin(tmp_path, None)
    assert pin.isdigit()
    assert read_pin(tmp_path) == pin


def test_the_boot_partition_gets_a_copy_and_both_copies_are_removed(tmp_path: Path):
    boot = tmp_path / "boot"
    boot.mkdir()
    pin = ensure_pin(tmp_path / "etc", boot)
    assert pin in (boot / BOOT_PIN_FILE).read_text()
    remove_pin(tmp_path / "etc", boot)
    assert not (boot / BOOT_PIN_FILE).exists()
    assert not (tmp_path / "etc" / PIN_FILE).exists()
    assert read_pin(tmp_path / "etc") is None


def test_only_a_pi_boot_partition_is_used(tmp_path: Path):
    plain, pi = tmp_path / "plain", tmp_path / "pi"
    plain.mkdir()
    pi.mkdir()
    assert find_boot_folder((plain, pi)) is None
    (pi / "config.txt").write_text("arm_64bit=1\n")
    assert find_boot_folder((plain, pi)) == pi
    assert find_boot_folder((tmp_path / "missing",)) is None
