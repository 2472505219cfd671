"""ansible-playbook from the test's venv against root filesystems (chroot connection)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ANSIBLE_DIR = Path(__file__).resolve().parents[2] / "ansible"
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$", re.MULTILINE)


@dataclass(frozen=True)
class PlayRun:
    """What one ansible-playbook run printed, and its recap per host."""

    returncode: int
    output: str

    def recap(self) -> dict[str, dict[str, int]]:
        """Host -> {ok, changed, unreachable, failed, skipped, rescued, ignored}."""
        tail = self.output.rsplit("PLAY RECAP", 1)[-1]
        return {
            match["host"]: {
                key: int(value)
                for key, value in (pair.split("=") for pair in match["counts"].split())
            }
            for match in RECAP.finditer(tail)
        }


def chroot_host(root: Path, **variables: Any) -> dict[str, Any]:
    """Inventory variables of a host that is the root filesystem at ``root``."""
    return {
        "ansible_connection": "community.general.chroot",
        "ansible_host": str(root),
        "ansible_python_interpreter": "/usr/bin/python3",
        **variables,
    }


def write_inventory(path: Path, groups: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Path:
    """A YAML (JSON is YAML) inventory: group -> host -> variables."""
    inventory = {"all": {"children": {g: {"hosts": dict(h)} for g, h in groups.items()}}}
    path.write_text(json.dumps(inventory, indent=2))
    return path


def run_playbook(
    playbook: str,
    inventory: Path,
    *,
    extra_vars: Mapping[str, Any] | None = None,
    limit: str | None = None,
    check: bool = True,
    netns: str | None = None,
    timeout_s: float = 900,
) -> PlayRun:
    """Run ``ansible-playbook PLAYBOOK -i INVENTORY`` in ansible/; fail the test if it fails.

    With ``netns`` the whole play (and every process it starts in a chroot) runs in that
    network namespace: its own loopback, so a rootfs's PostgreSQL or serve never meets
    the host's.
    """
    bindir = Path(sys.executable).parent
    command = [str(bindir / "ansible-playbook"), playbook, "-i", str(inventory)]
    if extra_vars:
        command += ["-e", json.dumps(dict(extra_vars))]
    if limit:
        command += ["--limit", limit]
    if netns:
        command = ["ip", "netns", "exec", netns, *command]
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    done = subprocess.run(
        command,
        cwd=ANSIBLE_DIR,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
        check=False,
    )
    run = PlayRun(done.returncode, done.stdout + done.stderr)
    if check and done.returncode != 0:
        pytest.fail(f"ansible-playbook {playbook} exited {done.returncode}:\n{run.output[-6000:]}")
    return run
