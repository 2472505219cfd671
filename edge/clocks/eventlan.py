"""Time on the event LAN: a SLAVE follows its MASTER's clock through chrony.

Every box's chrony (ansible role chronoedge_box, templates/chrony.conf.j2) serves time to
the private LAN and falls back on its own clock (``local stratum 10``), so a MASTER
without internet still serves its SLAVEs. The one part that depends on the role chosen on
/setup is a SLAVE's ``server <its MASTER>`` line: the worker writes it in a folder of
chrony's (``sourcedir``) and asks chronyd to read it again (``chronyc reload sources``,
through ``sudo -n`` unless root: /etc/sudoers.d/chronoedge-chrony allows exactly it).
A sources file can hold only server, pool and peer lines, so the app cannot change
anything else of chrony's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from edge.clocks.errors import ClockError
from edge.roleconfig import Role, RoleConfig
from edge.store.files import write_atomic

SOURCES_FILE = "chronoedge-event-lan.sources"
"""The file in chrony's sourcedir this box writes (chrony reads ``*.sources``)."""
TIMEOUT_S = 10.0


def event_lan_sources(role: RoleConfig) -> str:
    """The chrony sources this role needs: a SLAVE's MASTER, preferred; "" for others."""
    if role.role is not Role.SLAVE or not role.master_url:
        return ""
    host = urlsplit(role.master_url).hostname
    if not host:
        return ""
    return (
        "# Written by ChronoEdge when this box became a SLAVE (edge/clocks/eventlan.py):\n"
        "# its MASTER's clock is the event's; do not edit, choose the role on /setup.\n"
        f"server {host} iburst prefer minpoll 2 maxpoll 6\n"
    )


@dataclass(frozen=True)
class EventLanApplied:
    """What applying the role to chrony did."""

    sources: str  # the file's content now ("" when there is none)
    changed: bool  # the file was written or removed, and chronyd told to read it again


def apply_event_lan(
    role: RoleConfig, folder: Path, *, chronyc: str = "chronyc", socket: str = ""
) -> EventLanApplied:
    """Write (or remove) the role's sources file in ``folder``; reload chrony if it changed.

    ClockError when the file cannot be written or chronyd refuses the reload (the next run
    tries again). ``socket``: chronyd's command socket (chronyc -h) if not the system's.
    """
    wanted = event_lan_sources(role)
    path = folder / SOURCES_FILE
    try:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == wanted:
            return EventLanApplied(wanted, changed=False)
        if wanted:
            write_atomic(path, wanted, 0o644)  # chronyd reads it as its own user
        else:
            path.unlink(missing_ok=True)
    except OSError as error:
        raise ClockError(f"cannot write chrony's sources in {folder}: {error}") from error
    reload_sources(chronyc=chronyc, socket=socket)
    return EventLanApplied(wanted, changed=True)


def reload_sources(*, chronyc: str = "chronyc", socket: str = "") -> None:
    """``chronyc reload sources`` (as root through ``sudo -n``): chronyd reads the files again."""
    if shutil.which(chronyc) is None:
        raise ClockError(f"{chronyc} is not installed (Debian: apt install chrony)")
    argv = [chronyc, *(["-h", socket] if socket else []), "reload", "sources"]
    if os.geteuid() != 0:
        argv = ["sudo", "-n", "--", *argv]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ClockError(f"chronyc reload sources failed: {error}") from error
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
        raise ClockError(f"chronyc reload sources failed: {detail}")
