"""The running box as the installer sees and drives it: its status, its database, its units.

The installer runs as root; the box's own commands run as the box's user (``runuser``,
as update.yml does), so SQLite never leaves a root-owned ``-wal`` or ``-shm`` file the
units could not write. Each release answers for itself: the status and the database
upgrade are those of the release named, through its own ``bin/chrono-edge``.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ota.errors import InstallFailed
from ota.layout import Layout

COMMAND_TIMEOUT_S = 120
HEALTHZ_TIMEOUT_S = 5
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""The box's own web unit is asked directly, whatever proxy the environment names."""


def as_box_user(layout: Layout, command: list[str]) -> list[str]:
    """``command`` run as the box's user when the installer is root (as itself otherwise)."""
    user = layout.settings.box_user
    if user and os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *command]
    return command


def run_box(layout: Layout, release: Path, *arguments: str) -> str:
    """``<release>/bin/chrono-edge ARGUMENTS`` as the units run it; its output."""
    command = as_box_user(layout, [str(release / "bin" / "chrono-edge"), *arguments])
    try:
        done = subprocess.run(
            command,
            env=layout.box_environment(),
            cwd=layout.paths.data_dir,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallFailed(f"chrono-edge {' '.join(arguments)}: {error}") from error
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise InstallFailed(f"chrono-edge {' '.join(arguments)} failed: {tail}")
    return done.stdout


def box_status(layout: Layout, release: Path | None = None) -> dict[str, Any]:
    """``chrono-edge status --json`` of ``release`` (default: the running one)."""
    output = run_box(layout, release or layout.current, "status", "--json")
    try:
        found = json.loads(output)
    except json.JSONDecodeError as error:
        raise InstallFailed(f"chrono-edge status --json answered no JSON: {error}") from error
    if not isinstance(found, dict):
        raise InstallFailed("chrono-edge status --json answered no JSON object")
    return found


def upgrade_database(layout: Layout, release: Path) -> str:
    """Run ``release``'s migrations on the box's database (expand-only; idempotent)."""
    return run_box(layout, release, "db", "upgrade").strip()


def restart_units(layout: Layout) -> None:
    """Restart the units that run a release (``systemctl restart`` on a box)."""
    command = [*layout.settings.restart_command, *layout.settings.units]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallFailed(f"{' '.join(command)}: {error}") from error
    if done.returncode != 0:
        raise InstallFailed(f"{' '.join(command)} failed: {done.stderr.strip()}")


def healthz(layout: Layout) -> tuple[int, str]:
    """What the web unit's /healthz answers: (status, version); (0, "") when it does not."""
    url = layout.settings.web_url.rstrip("/") + "/healthz"
    try:
        with _DIRECT.open(url, timeout=HEALTHZ_TIMEOUT_S) as answer:
            body = json.load(answer)
            return answer.status, str(body.get("version", ""))
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (OSError, ValueError):
        return 0, ""
