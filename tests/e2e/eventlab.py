"""Processes of an event's network inside namespaces: central with its hub, boxes, nsctl.

Shared by the e2e tests that run real ``chrono-central serve`` and ``chrono-edge``
processes in the hosts of a ``tests.e2e.netns.Lab``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edge.roleconfig import RoleConfig, save_role
from edge.vpn.keys import PRIVATE_KEY, ensure_keypair
from tests.browser import box_env
from tests.e2e.netns import Namespace
from tests.servers import free_port
from tests.syncbox import EVENT_FILE

ROOT = Path(__file__).resolve().parents[2]
HQ_LAN, PI1_LAN = "192.168.77.1", "192.168.77.2"  # the venue's uplink
HUB_ADDRESS, HUB_PORT = "10.77.0.1", 51820
BOX_PORT = 8000
ADMIN = ("ops", "a long enough password")
# wireguard-go refuses to run on Linux without this (the kernel module is absent here).
USERSPACE = {"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"}


def wait_for(check: Callable[[], object], what: str, timeout_s: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout_s:g} s: {what}")
        time.sleep(0.2)


def nsctl(host: Namespace, *args: str, check: bool = True, timeout_s: float = 60) -> str:
    """Run a tests.e2e.nsctl command inside ``host``; its stdout."""
    argv = host.argv(sys.executable, "-m", "tests.e2e.nsctl", *args)
    done = subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **USERSPACE},
        timeout=timeout_s, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        pytest.fail(f"nsctl {' '.join(args[:2])} in {host.name}: {done.stderr.strip()}")
    return done.stdout if done.returncode == 0 else ""


def wait_healthy(host: Namespace, base: str) -> None:
    """Wait (30 s at most) until the server at ``base`` inside ``host`` answers /healthz."""
    nsctl(host, "get", f"{base}/healthz", "--attempts", "150", "--pause", "0.2")


class Processes:
    """Long-running processes started inside namespaces, logged to files, stopped in reverse."""

    def __init__(self) -> None:
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, host: Namespace, name: str, argv: list[str], env: dict[str, str], log: Path
    ) -> None:
        """Start ``argv`` inside ``host`` as ``name``, its output appended to ``log``."""
        with log.open("ab") as out:
            self.started[name] = subprocess.Popen(
                host.argv(*argv), env=env, cwd=log.parent, stdout=out, stderr=out
            )

    def stop(self, name: str) -> None:
        """SIGTERM ``name`` and wait for it (SIGKILL after 15 s)."""
        process = self.started.pop(name)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def check_alive(self) -> None:
        """Fail if a process exited before the test stopped it."""
        dead = {n: p.returncode for n, p in self.started.items() if p.poll() is not None}
        assert dead == {}, f"processes exited early: {dead} (see their .log files)"

    def stop_all(self) -> None:
        """Stop every process, the last started first."""
        for name in reversed(list(self.started)):
            self.stop(name)


@contextmanager
def processes() -> Iterator[Processes]:
    """Processes stopped on the way out, also when the test fails."""
    running = Processes()
    try:
        yield running
    finally:
        running.stop_all()


def edge(db: Path, *args: str) -> list[str]:
    """``chrono-edge --db DB ARGS``."""
    return [sys.executable, "-m", "edge.cli", "--db", str(db), *args]


def prepare_box(folder: Path, role: RoleConfig) -> tuple[Path, dict[str, str]]:
    """A box's files (migrated database with the example event, reader.json); its env."""
    env = box_env(folder) | {"CHRONO_EDGE_SYNC_EVERY_S": "0.5"} | USERSPACE
    folder.mkdir(parents=True)
    db = folder / "edge.db"
    for args in (("db", "upgrade"), ("event", "load", str(EVENT_FILE))):
        subprocess.run(edge(db, *args), env=env, cwd=folder, check=True, capture_output=True)
    save_role(folder / "reader.json", role)
    return db, env


def serve_box(run: Processes, host: Namespace, name: str, db: Path, env: dict[str, str]) -> None:
    """``chrono-edge serve`` on every address of ``host``, port BOX_PORT."""
    args = ["serve", "--host", "0.0.0.0", "--port", str(BOX_PORT)]
    run.start(host, f"{name}-serve", edge(db, *args), env, db.parent / "serve.log")
    wait_healthy(host, f"http://127.0.0.1:{BOX_PORT}")


@dataclass(frozen=True)
class Central:
    """``chrono-central serve`` running in hq with its WireGuard hub."""

    public_url: str  # on hq's LAN address, as boxes enroll
    db: Path
    env: dict[str, str]
    log: Path
    host: Namespace

    def cli(self, *args: str, stdin: str = "") -> str:
        """``chrono-central ARGS`` inside hq (where the hub's interface lives); its stdout."""
        done = subprocess.run(
            self.host.argv(sys.executable, "-m", "central", *args), env=self.env, cwd=ROOT,
            input=stdin, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout


def start_central(run: Processes, hq: Namespace, folder: Path, hub_interface: str) -> Central:
    """Central in ``hq`` with a hub (serve creates the interface and reconciles it), an admin."""
    ensure_keypair(folder / "hub")
    db, port = folder / "central.db", free_port()
    env = {
        **os.environ, **USERSPACE,
        "CHRONO_CENTRAL_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "CHRONO_CENTRAL_DATA_DIR": str(folder / "central"),
        "CHRONO_CENTRAL_HUB_INTERFACE": hub_interface,
        "CHRONO_CENTRAL_HUB_PRIVATE_KEY_FILE": str(folder / "hub" / PRIVATE_KEY),
        "CHRONO_CENTRAL_HUB_ENDPOINT": f"{HQ_LAN}:{HUB_PORT}",
        "CHRONO_CENTRAL_HUB_LISTEN_PORT": str(HUB_PORT),
    }  # fmt: skip
    central = Central(f"http://{HQ_LAN}:{port}", db, env, folder / "central.log", hq)
    central.cli("user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
    serve = [sys.executable, "-m", "central", "serve", "--host", "0.0.0.0", "--port", str(port)]
    run.start(hq, "central", serve, env, central.log)
    wait_healthy(hq, central.public_url)
    assert f"hub {hub_interface}: created, 0 peers reconciled" in central.log.read_text()
    return central
