"""The one way WireGuard tools are run: argv only, input on stdin, a timeout, clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from edge.vpn.errors import ToolFailed, ToolMissing

TIMEOUT_S = 20.0

# The Debian package that provides each tool, named in the error when it is missing.
PACKAGES = {
    "wg": "wireguard-tools",
    "wg-quick": "wireguard-tools",
    "wireguard-go": "wireguard-go",
    "ip": "iproute2",
}

# wireguard-go refuses to run on Linux unless told that the kernel module is absent on
# purpose; the tools only start it where ``ip link add ... type wireguard`` failed.
USERSPACE_FALLBACK = {"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"}

# On a box the worker runs as user chronoedge: these tools reach root through sudo, which
# allows exactly the worker's commands (ansible role chronoedge_box, sudoers drop-in) and
# keeps USERSPACE_FALLBACK. -n: fail at once rather than wait for a password.
PRIVILEGED_TOOLS = frozenset({"wg", "wg-quick"})
SUDO = ("sudo", "-n", "--")


def command_line(args: Sequence[str], euid: int | None = None) -> list[str]:
    """The argv that runs ``args``: through ``sudo -n --`` for WireGuard tools unless root."""
    euid = os.geteuid() if euid is None else euid
    if args[0] in PRIVILEGED_TOOLS and euid != 0:
        return [*SUDO, *args]
    return list(args)


def run_tool(
    args: Sequence[str],
    *,
    stdin: str | None = None,
    timeout_s: float = TIMEOUT_S,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run ``args`` (no shell) and return its standard output; secrets go through ``stdin``.

    ``env`` adds variables to the process's environment.
    """
    tool = args[0]
    if shutil.which(tool) is None:
        package = PACKAGES.get(tool, "wireguard-tools")
        raise ToolMissing(f"{tool} is not installed (Debian: apt install {package})")
    argv = command_line(args)
    if argv[0] != tool and shutil.which(argv[0]) is None:
        raise ToolMissing(f"{tool} needs {argv[0]} when not run as root (Debian: apt install sudo)")
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env=None if env is None else {**os.environ, **env},
        )
    except subprocess.TimeoutExpired as error:
        raise ToolFailed(f"{' '.join(args[:3])} did not finish within {timeout_s:g} s") from error
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit code {done.returncode}"
        raise ToolFailed(f"{' '.join(args[:3])} failed: {detail}")
    return done.stdout
