"""Boxes of their own for the rollout test: each in its network namespace, its own opt folder.

A ``tests.otabox.TestBox`` runs its releases from the session's one ``opt`` folder (the
venvs' scripts name that path). A ``FleetBox`` gets a copy of the installed releases
(hard links) mounted on that same path inside a mount namespace of its own, joined to
its own network namespace: two boxes then update, restart and roll back independently,
each reaching central over its own link like a box in the van on its own 4G.
Every command the test runs on a box enters both namespaces through ``nsenter``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge.paths import BoxPaths
from tests.e2e.eventlab import Processes, wait_healthy
from tests.e2e.netns import Lab, Namespace
from tests.otabox import OtaCentral, ReleaseStore, TestBox
from tests.servers import free_port

MOUNTED_TIMEOUT_S = 10.0
MACHINE_ID = Path("/etc/machine-id")
HEALTHZ = """import sys, httpx
try:
    answer = httpx.get(sys.argv[1], timeout=2)
except httpx.HTTPError:
    sys.exit(1)
ok = answer.status_code == 200
print(answer.status_code, answer.json().get("version", "") if ok else "")
"""
"""GET /healthz inside the box's namespace: prints the status and the version."""


class FleetBox(TestBox):
    """A box in namespace ``host``: its opt folder ``opt_view`` is ``store.opt`` inside."""

    def __init__(self, store: ReleaseStore, folder: Path, host: Namespace, address: str) -> None:
        opt = folder / "opt"
        self.machine_id = folder / "machine-id"
        self.new_identity()
        self.holder = _hold_namespaces(host, {opt: store.opt, self.machine_id: MACHINE_ID})
        # Entering a mount namespace starts at its root: --wd gives the data folder back.
        data = BoxPaths.under(folder / "data", folder / "config").data_dir
        enter = ("nsenter", "-t", str(self.holder.pid), "--net", "--mount", f"--wd={data}", "--")
        super().__init__(store, folder, enter=enter, address=address, opt_view=opt)
        self.host = host

    def new_identity(self) -> None:
        """Another /etc/machine-id: the box's serial to central (written in place, as mounted)."""
        self.machine_id.write_text(uuid.uuid4().hex + "\n")

    def healthz(self) -> tuple[int, str]:
        """What /healthz answers inside the box's namespace: (200, version), else (0, "")."""
        url = f"http://127.0.0.1:{self.port}/healthz"
        done = subprocess.run(
            [*self.enter, sys.executable, "-c", HEALTHZ, url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return 0, ""
        code, _, version = done.stdout.strip().partition(" ")
        return int(code), version

    def installer_pids(self) -> list[int]:
        """This box's installer (the others' run the same command line in their namespaces)."""
        mine = set(self.host.pids())
        return [pid for pid in super().installer_pids() if pid in mine]


def _hold_namespaces(host: Namespace, mounts: dict[Path, Path]) -> subprocess.Popen[bytes]:
    """A process holding a mount namespace, inside ``host``, where each key is on its value."""
    binds = " && ".join(f'mount --bind "${2 * i + 1}" "${2 * i + 2}"' for i in range(len(mounts)))
    paths = [str(path) for pair in mounts.items() for path in pair]
    holder = subprocess.Popen(
        host.argv("unshare", "--mount", "--propagation", "private",
                  "sh", "-c", f"{binds} && exec sleep infinity", "hold", *paths),
    )  # fmt: skip
    deadline = time.monotonic() + MOUNTED_TIMEOUT_S
    while _command(holder.pid) != b"sleep":
        if holder.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"could not mount {mounts} in {host.name}")
        time.sleep(0.05)
    return holder


def _command(pid: int) -> bytes:
    with suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    return b""


@dataclass(frozen=True)
class FleetCentral:
    """Central serving the update repository in namespace ``host``, reached on each link."""

    central: OtaCentral
    host: Namespace
    port: int

    def url_on(self, address: str) -> str:
        """Central's base URL at ``address`` (its end of one box's link)."""
        return f"http://{address}:{self.port}"


@contextmanager
def fleet_central(
    lab: Lab, run: Processes, folder: Path, bundles: list[Path]
) -> Iterator[FleetCentral]:
    """``chrono-central serve`` in a namespace ``hq`` with ``bundles`` published in stable."""
    from ota.repository import init_repository, publish

    repo = folder / "repository"
    init_repository(repo)
    for bundle in bundles:
        publish(repo, bundle, "stable")
    hq, port = lab.host("hq"), free_port()
    url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
    env = {**os.environ, "CHRONO_CENTRAL_DATABASE_URL": url, "CHRONO_CENTRAL_OTA_DIR": str(repo)}
    serve = [sys.executable, "-m", "central", "serve", "--host", "0.0.0.0", "--port", str(port)]
    run.start(hq, "central", serve, env, folder / "central.log")
    wait_healthy(hq, f"http://127.0.0.1:{port}")
    yield FleetCentral(OtaCentral(f"http://127.0.0.1:{port}", url, repo), hq, port)


def fleet_box(store: ReleaseStore, lab: Lab, central: FleetCentral, folder: Path) -> FleetBox:
    """A box on 0.1.0 (0.1.1 installed beside it) in a namespace linked to hq, trusting its root."""
    from ota.repository import trusted_root

    number = len(lab.namespaces)  # hq is 0
    host = lab.host(f"box{number}")
    box_end = f"10.81.{number}.2"
    lab.link(central.host, f"10.81.{number}.1/24", host, f"{box_end}/24")
    folder.mkdir(parents=True)
    store.reset(("0.1.0", "0.1.1"), current="0.1.0", opt=folder / "opt")
    box = FleetBox(store, folder, host, box_end)
    box.layout.trusted_root.parent.mkdir(parents=True)
    box.layout.trusted_root.write_bytes(trusted_root(central.central.repo, "stable"))
    return box


def enroll(box: FleetBox, central: FleetCentral) -> str:
    """Enroll ``box`` with central over its link (a fresh token); the device id it got."""
    central_end = box.address.rsplit(".", 1)[0] + ".1"
    token = central.central.enroll_token()
    box.cli("enroll", "--central", central.url_on(central_end), "--token", token)
    role = json.loads(box.paths.role_file.read_text())
    return str(role["central"]["device_id"])


def stop_fleet_box(box: FleetBox) -> None:
    """Stop the box's units and its namespaces' holder (the lab's close ends any straggler)."""
    if any(box.unit_dir.iterdir()):  # started once
        with suppress(subprocess.CalledProcessError):
            box.systemctl("stop")
    box.holder.kill()
    box.holder.wait()
