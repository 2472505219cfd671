"""WireGuard tools reach root through ``sudo -n --`` when the box runs them as its own user."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.vpn import runner
from edge.vpn.errors import ToolMissing
from edge.vpn.runner import USERSPACE_FALLBACK, command_line, run_tool


def test_wireguard_tools_go_through_sudo_unless_root() -> None:
    conf = "/etc/chronoedge/keys/wg0.conf"
    assert command_line(["wg-quick", "up", conf], euid=999) == [
        "sudo", "-n", "--", "wg-quick", "up", conf,
    ]  # fmt: skip
    assert command_line(["wg", "show", "wg0", "dump"], euid=999)[:4] == ["sudo", "-n", "--", "wg"]
    assert command_line(["wg-quick", "down", conf], euid=0) == ["wg-quick", "down", conf]
    assert command_line(["ip", "link"], euid=999) == ["ip", "link"]


def _fake_tools(folder: Path, *names: str) -> None:
    """Executables that print their own argv and the userspace variable."""
    folder.mkdir()
    for name in names:
        tool = folder / name
        tool.write_text(
            f'#!/bin/sh\necho {name} "$@" "${{WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD:-}}"\n'
        )
        tool.chmod(0o755)


def test_run_tool_as_a_user_runs_sudo_with_the_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tools(tmp_path / "bin", "sudo", "wg-quick")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(runner.os, "geteuid", lambda: 999)
    out = run_tool(["wg-quick", "up", "/etc/chronoedge/keys/wg0.conf"], env=USERSPACE_FALLBACK)
    assert out.split() == [
        "sudo",
        "-n",
        "--",
        "wg-quick",
        "up",
        "/etc/chronoedge/keys/wg0.conf",
        "1",
    ]


def test_run_tool_without_sudo_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tools(tmp_path / "bin", "wg")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(runner.os, "geteuid", lambda: 999)
    with pytest.raises(ToolMissing, match="apt install sudo"):
        run_tool(["wg", "show", "wg0", "dump"])
